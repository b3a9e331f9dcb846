"""The catalog parses the real /api/app/algorithms answer and refuses bad requests before any
upload, naming the valid choices."""

import json
import socket

import pytest

from mvsep_bridge.daemon.catalog import SNAPSHOT, Catalog, cache_path
from mvsep_bridge.daemon.errors import ValidationError
from mvsep_bridge.daemon.settings import load_settings

RAW = json.loads(SNAPSHOT.read_text())


@pytest.fixture(scope="module")
def catalog():
    return Catalog.snapshot()


def test_every_entry_of_the_real_answer_parses(catalog):
    assert len(catalog) == len(RAW)
    bs = catalog.get(40)
    assert bs.name == "BS Roformer (vocals, instrumental)" and bs.group == "Vocals / Instrumental"
    assert bs.stems == ["vocals", "instrumental"]
    opt1 = bs.field("add_opt1")
    raw_opt1 = next(f for e in RAW if e["render_id"] == 40 for f in e["algorithm_fields"] if f["name"] == "add_opt1")
    assert opt1.options == json.loads(raw_opt1["options"]) and opt1.default_key == raw_opt1["default_key"]
    assert catalog.get(26).premium_only and not catalog.get(40).premium_only
    # entries without output_stems fall back to the keys of `outputs`
    assert catalog.get(57).stems == ["male", "female"]


def test_options_as_object_and_conditions_as_json_text():
    entry = json.loads(json.dumps(next(e for e in RAW if e["render_id"] == 40)))
    for field in entry["algorithm_fields"]:
        field["options"] = json.loads(field["options"])
        for condition in field["conditions"]:
            condition["value_json"] = json.dumps(condition["value_json"])
    catalog = Catalog.from_payload([entry], source="test")
    assert catalog.validate(40, {"add_opt1": "171"}).options["add_opt3"] == "0"


def test_defaults_are_filled_and_hidden_fields_left_out(catalog):
    assert catalog.validate(40).options == {"add_opt1": "81", "add_opt2": "2"}
    shown = catalog.validate(40, {"add_opt1": "171"}, 2)
    assert shown.options == {"add_opt1": "171", "add_opt2": "2", "add_opt3": "0"}
    assert shown.output_format == 2 and shown.sep_type == 40


def test_unknown_sep_type_names_the_valid_ones(catalog):
    with pytest.raises(ValidationError) as info:
        catalog.validate(999)
    message = str(info.value)
    assert "999" in message and "40" in message and "algorithms" in message
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    "options, fmt, premium, needle",
    [
        ({"add_opt1": "nope"}, None, False, "81 ("),  # the valid keys with their labels
        ({"add_opt4": "1"}, None, False, "add_opt1 (Vocal model type)"),
        ({"add_opt3": "1"}, None, False, "only when add_opt1 in 171"),
        ({}, 5, False, "premium"),
        ({}, 9, True, "valid: 0 (mp3"),
    ],
)
def test_bad_requests_name_the_problem(catalog, options, fmt, premium, needle):
    with pytest.raises(ValidationError) as info:
        catalog.validate(40, options, fmt, premium=premium)
    assert needle in str(info.value)


def test_premium_only_algorithm_needs_premium(catalog):
    with pytest.raises(ValidationError, match="premium users only"):
        catalog.validate(26)
    assert catalog.validate(26, premium=True).options["add_opt2"] == "7"
    assert catalog.validate(40, {}, 5, premium=True).output_format == 5


def test_credit_estimate_with_price_rules(catalog):
    assert catalog.estimate_credits(10, 40) == 1  # never below one
    assert catalog.estimate_credits(600, 40) == 10
    assert catalog.estimate_credits(600, 40, {"add_opt2": "8"}) == 20  # overlap 8: x2
    assert catalog.estimate_credits(600, 26) == 20  # coefficient 2
    assert catalog.estimate_credits(599, 48, {"add_opt2": "8"}) == 14  # floor(599 * 1.5 / 60)


def test_search(catalog):
    names = [a.name for a in catalog.search("roformer instrumental")]
    assert "BS Roformer (vocals, instrumental)" in names
    assert all("roformer" in n.lower() or "roformer" in a.short_description.lower()
               for n, a in zip(names, catalog.search("roformer instrumental")))
    assert catalog.search("no such words anywhere") == []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_falls_back_to_the_snapshot(tmp_path):
    settings = load_settings(base_url=f"http://127.0.0.1:{_closed_port()}", data_dir=tmp_path)
    catalog = Catalog.load(settings)
    assert catalog.source == "bundled snapshot" and 40 in catalog
    assert not cache_path(settings).exists()
