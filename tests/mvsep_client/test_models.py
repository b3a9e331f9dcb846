"""Every response shape API.md records parses into the client's models."""

import pytest

from mvsep_bridge.daemon.client.models import (
    CreatedJob,
    HistoryEntry,
    Message,
    RemoteSeparation,
    ResultFile,
    Separation,
    SeparationStatus,
    UserInfo,
    as_list,
    hash_file_name,
    hash_time,
    parse_size,
)
from mvsep_bridge.daemon.client.transport import failure_message, mask_token

DONE = {
    "success": True,
    "status": "done",
    "data": {
        "algorithm": "BS Roformer",
        "output_format": "mp3 (320 kbps)",
        "input_file": {"url": "https:\\/\\/mvsep.com\\/in.wav", "size": "5.70 MB", "download": "in.mp3"},
        "files": [
            {"url": "https://cdn.mvsep.com/x/file.flac?a=1&amp;b=2", "download": "song_vocals.flac",
             "size": "5.70 MB", "bytes": 5976883, "type": "Vocals", "new_key": {"any": 1}},
            {"link": "https://old.mvsep.com/y/song_other.mp3", "name": "song_other.mp3", "size": "1.5 KB"},
        ],
        "date": "2024-01-19 12:40:25",
        "tags": {"artist": "x"},
        "unexpected": [1, 2],
    },
}


def test_done_with_bytes_size_text_legacy_keys_and_escaped_urls():
    result = Separation.model_validate(DONE)
    assert result.status is SeparationStatus.DONE and result.status.final
    first, legacy = result.files
    assert first.url == "https://cdn.mvsep.com/x/file.flac?a=1&b=2"
    assert first.bytes == 5976883 and first.approx_bytes == 5976883 and first.type == "Vocals"
    assert first.file_name == "song_vocals.flac"
    assert legacy.url == "https://old.mvsep.com/y/song_other.mp3" and legacy.file_name == "song_other.mp3"
    assert legacy.bytes is None and legacy.approx_bytes == 1536
    assert result.data.input_file.url == "https://mvsep.com/in.wav"
    assert result.data.model_extra["unexpected"] == [1, 2]


@pytest.mark.parametrize(
    "body, status, check",
    [
        ({"success": True, "status": "waiting", "data": {"queue_count": "3", "current_order": 2}},
         SeparationStatus.WAITING, lambda d: (d.queue_count, d.current_order) == (3, 2)),
        ({"success": True, "status": "distributing",
          "data": {"queue_count": 1, "current_order": 1, "finished_chunks": 2, "all_chunks": 5}},
         SeparationStatus.DISTRIBUTING, lambda d: (d.finished_chunks, d.all_chunks) == (2, 5)),
        ({"success": True, "status": "processing", "data": {"message": "Processing"}},
         SeparationStatus.PROCESSING, lambda d: d.message == "Processing"),
        ({"success": True, "status": "merging", "data": {}}, SeparationStatus.MERGING, lambda d: True),
        ({"success": True, "status": "failed", "data": {"message": "Corrupted audio"}},
         SeparationStatus.FAILED, lambda d: d.message == "Corrupted audio"),
        ({"success": True, "status": "not_found", "data": []}, SeparationStatus.NOT_FOUND, lambda d: True),
        ({"success": True, "status": "queued_on_mars"}, SeparationStatus.UNKNOWN, lambda d: True),
    ],
)
def test_every_status(body, status, check):
    result = Separation.model_validate(body)
    assert result.status is status
    assert check(result.data)
    assert result.status.final == (status in (SeparationStatus.DONE, SeparationStatus.FAILED,
                                              SeparationStatus.NOT_FOUND))


def test_remote_done_points_at_the_normal_job():
    remote = RemoteSeparation.model_validate(
        {"success": True, "status": "done",
         "data": {"link": "https:\\/\\/mvsep.com\\/api\\/separation\\/get?hash=H", "hash": "H"}})
    assert remote.data.hash == "H" and remote.data.link == "https://mvsep.com/api/separation/get?hash=H"


@pytest.mark.parametrize(
    "payload, text",
    [
        ({"success": False, "data": {"message": "Not enough credits"}}, "Not enough credits"),
        ({"success": False, "errors": ["Invalid sep_type"]}, "Invalid sep_type"),
        ({"success": False, "message": {"audiofile": ["The audiofile field is required."]}},
         "audiofile: The audiofile field is required."),
        ({"success": False, "message": "plain"}, "plain"),
    ],
)
def test_the_three_failure_shapes_give_the_servers_reason(payload, text):
    assert failure_message(payload) == text


def test_created_job_and_hash_parts():
    job = CreatedJob.model_validate(
        {"link": "https://mvsep.com/api/separation/get?hash=20250131145833-a0bb276157-mixture.wav",
         "hash": "20250131145833-a0bb276157-mixture.wav"})
    assert hash_time(job.hash).isoformat() == "2025-01-31T14:58:33"
    assert hash_file_name(job.hash) == "mixture.wav"
    assert hash_file_name("n2AwBjy4KsFZfqqR") is None


def test_user_token_is_secret_and_flags_are_bools():
    user = UserInfo.model_validate(
        {"name": "a", "email": "a@b", "api_token": "TOPSECRET", "premium_minutes": "42",
         "premium_enabled": "1", "long_filenames_enabled": 0, "current_queue": [{"hash": "x"}]})
    assert "TOPSECRET" not in repr(user) and "TOPSECRET" not in str(user.model_dump())
    assert user.api_token.get_secret_value() == "TOPSECRET"
    assert user.premium_enabled is True and user.long_filenames_enabled is False
    assert user.concurrency_limit == 10 and UserInfo(premium_enabled=False).concurrency_limit == 1
    assert user.credits == 42 and user.running_jobs == 1


def test_history_entries_name_their_algorithm():
    entries = [HistoryEntry.model_validate(e) for e in as_list({"success": True, "data": [
        {"hash": "20250131145833-a0bb276157-mix.wav", "job_exists": 1, "credits": 2, "time_left": "71",
         "algorithm": {"render_id": 40, "name": "BS Roformer"}},
        {"hash": "h2", "job_exists": False, "credits": None, "algorithm": "Demucs"},
    ]})]
    assert entries[0].sep_type == 40 and entries[0].algorithm_name == "BS Roformer"
    assert entries[0].job_exists is True and entries[0].time_left == 71
    assert entries[1].sep_type is None and entries[1].algorithm_name == "Demucs"


def test_message_found_at_top_or_in_data():
    assert Message.model_validate({"success": True, "message": "Premium enabled"}).message == "Premium enabled"
    assert Message.model_validate({"success": True, "data": {"message": "deleted"}}).message == "deleted"


@pytest.mark.parametrize("text, expected", [("5.70 MB", 5976883), ("1 KB", 1024), ("812 B", 812),
                                            ("1,5 GB", 1610612736), ("n/a", None), (None, None)])
def test_sizes(text, expected):
    assert parse_size(text) == expected


def test_tokens_are_masked_in_text():
    text = "Max retries exceeded with url: /api/app/user?api_token=abc123&start=0 (tok abc123)"
    masked = mask_token(text, "abc123")
    assert "abc123" not in masked and "api_token=***" in masked


def test_result_file_without_url_is_refused():
    with pytest.raises(ValueError):
        ResultFile.model_validate({"download": "x.mp3"})


def test_qc_sdr_from_top_level_or_metrics():
    from mvsep_bridge.daemon.client.models import QcEntry

    top = QcEntry.model_validate({"id": 1, "sdr_vocals": 11.2, "metrics": None})
    nested = QcEntry.model_validate({"id": "2", "metrics": {"sdr_bass": 9.5, "other": 1}})
    assert top.sdr == {"vocals": 11.2} and nested.sdr == {"bass": 9.5} and nested.id == 2
