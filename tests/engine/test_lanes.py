"""Each stage has its own threads (lanes): a job the server has finished is downloaded while the
batch's later uploads are still going through a slow uplink, not after the ones queued before."""

from __future__ import annotations

import soundfile as sf

from harness import read_manifest

JOBS = 10


def test_a_finished_job_is_downloaded_while_later_uploads_still_run(emulator, premium_batch, tmp_path):
    # ~0.45 MB per upload through a 400 kB/s uplink: the batch's uploads take longer than a job's
    # time on the server
    sources = premium_batch(JOBS, waiting_seconds=0.2, processing_seconds=0.5, upload_bandwidth=400_000,
                            rate_limit_slow=1200)

    for source in sources:
        manifest = read_manifest(tmp_path / "out" / source.stem)
        for stem in manifest["stems"]:
            assert sf.info(str(tmp_path / "out" / source.stem / stem["file"])).frames == 96_000
    jobs = sorted(emulator.stats()["jobs"], key=lambda job: job["created"])
    first = jobs[0]
    assert first["first_download_at"] < jobs[-1]["created"]  # the server got the last upload after
    # between the first job's end and its download, at most the uploads already on the wire
    # arrived (two at a time), not the batch's queued ones
    arrived = [j for j in jobs if first["done_at"] < j["created"] < first["first_download_at"]]
    assert len(arrived) <= 2, [round(j["created"] - first["done_at"], 2) for j in arrived]
