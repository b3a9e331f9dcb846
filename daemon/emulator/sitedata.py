"""Realistic site data: news, the queue's background load, demo separations and quality checker
entries, so clients that show them have something to show. Dates are relative to the emulator
clock so the data never looks stale."""

from __future__ import annotations

NEWS = [
    {"title": "New BS Roformer vocal model", "lang": "en", "days_ago": 2,
     "text": "<p>A new BS Roformer vocal model is available for all users. SDR vocals: 11.89.</p>"},
    {"title": "Новая модель BS Roformer для вокала", "lang": "ru", "days_ago": 2,
     "text": "<p>Новая модель BS Roformer для вокала доступна всем пользователям.</p>"},
    {"title": "Quality checker: new leaderboard for 4 stems", "lang": "en", "days_ago": 9,
     "text": "<p>The quality checker now has a leaderboard for vocals, bass, drums and other.</p>"},
    {"title": "Faster queue for premium users", "lang": "en", "days_ago": 17,
     "text": "<p>We added GPUs: long files are now split over several servers (distributing).</p>"},
    {"title": "API: long filenames option", "lang": "en", "days_ago": 30,
     "text": "<p>Result files can carry the algorithm and options in their names.</p>"},
    {"title": "MVSep Drums: new model types", "lang": "en", "days_ago": 44,
     "text": "<p>Two new drum models were added to MVSep Drums.</p>"},
]

#: waiting jobs of other users, per plan (added to the emulator's own waiting jobs)
BACKGROUND_QUEUE = {"unregistered": 14, "registered": 6, "premium": 1}

DEMO = [
    {"hash": "20250112093015-4f1c2a9b7e-demo-song.mp3", "sep_type": 40, "days_ago": 1,
     "size": 4718592, "input": "demo-song.mp3"},
    {"hash": "20250110181244-a0bb276157-mixture.wav", "sep_type": 48, "days_ago": 3,
     "size": 31457280, "input": "mixture.wav"},
    {"hash": "20250108120501-0e3e5c6c85-13-dimensions.mp3", "sep_type": 20, "days_ago": 5,
     "size": 9961472, "input": "13-dimensions.mp3"},
]

#: dataset_type → (dataset name, stems scored)
DATASETS = {
    "0": ("Multisong dataset (vocals, instrumental)", ["vocals", "instrum"]),
    "1": ("Synth dataset (vocals, instrumental)", ["vocals", "instrum"]),
    "2": ("Multisong dataset (vocals, bass, drums, other)", ["vocals", "bass", "drums", "other"]),
}

QC_SEED = [
    {"dataset_type": "0", "algo_name": "MVSep BS Roformer (2025.07)",
     "main_text": "BS Roformer, 4 GPUs, 12 epochs", "sdr": {"vocals": 11.89, "instrum": 18.20}},
    {"dataset_type": "0", "algo_name": "MVSep MelBand Roformer (2024.10)",
     "main_text": "MelBand Roformer big", "sdr": {"vocals": 11.28, "instrum": 17.59}},
    {"dataset_type": "0", "algo_name": "Demucs4 HT (htdemucs_ft)",
     "main_text": "Original fine-tuned Demucs", "sdr": {"vocals": 9.53, "instrum": 15.84}},
    {"dataset_type": "0", "algo_name": "UVR MDX-Net Inst HQ 3",
     "main_text": "UVR model", "sdr": {"vocals": 9.71, "instrum": 16.02}},
    {"dataset_type": "2", "algo_name": "MVSep Ensemble (4 stems)",
     "main_text": "Ensemble of BS Roformer SW and SCNet XL",
     "sdr": {"vocals": 11.93, "bass": 13.41, "drums": 13.72, "other": 8.02}},
    {"dataset_type": "2", "algo_name": "Demucs4 HT",
     "main_text": "htdemucs", "sdr": {"vocals": 8.99, "bass": 11.02, "drums": 10.21, "other": 5.85}},
]
