"""Audio at the edges (decode, encode) and pure numpy functions in between (section, resample,
align, trim). Samples are float32 arrays shaped (frames, channels)."""
