"""``clientvault risk train|score`` on small generated CSVs: figures per model, the spec written, clear
messages and nothing written for bad input."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clientvault.risk import synthetic
from clientvault.risk.scorecard import scoring
from clientvault.risk.scorecard import spec as specs

pytestmark = pytest.mark.django_db  # the field catalogue is asked which columns are sensitive


def _run(*args: str) -> str:
    out = StringIO()
    call_command("risk", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def applicants_csv(tmp_path: Path) -> Path:
    return synthetic.write_csv(tmp_path / "applicants.csv", synthetic.applicants(700, seed=4), bom=True)


@pytest.mark.usefixtures("training_stack")
def test_train_prints_json_figures_per_model_and_writes_the_spec(applicants_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "card.json"
    payload = json.loads(_run("train", "--data", str(applicants_csv), "--target", "bad", "--cv", "3", "--json", "--out", str(out)))
    for model in ("champion", "challenger", "baseline"):
        assert {"auc_mean", "gini_mean", "ks_mean", "auc_std"} <= set(payload[model]) and payload[model]["auc_mean"] > 0.6
    assert set(payload["fairness"]["columns"]) == {"sex", "age"} and payload["excluded"]["sex"].startswith("sensitive")
    spec = specs.load(out)
    assert payload["digest"] == spec.digest and spec.target == "bad" and "sex" not in spec.fields
    # the score command reads the CSV as text, as the web tier would get values, and scores every row
    lines = _run("score", "--spec", str(out), "--data", str(applicants_csv)).splitlines()
    assert len(lines) == 700 and lines[0].startswith("1,")
    first = json.loads(_run("score", "--spec", str(out), "--data", str(applicants_csv), "--json").splitlines()[0])
    assert first["row"] == 1 and first["inputs_used"] == list(spec.fields) and first["model_id"] == spec.model_id


@pytest.mark.usefixtures("training_stack")
def test_train_prints_a_table_and_honours_exclusions(applicants_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "card.json"
    options = ["--bad", "1", "--cv", "2", "--out", str(out), "--exclude", "industry", "--model-id", "retail", "--version", "2025.1"]
    text = _run("train", "--data", str(applicants_csv), "--target", "bad", *options)
    assert "champion" in text and "challenger" in text and "baseline" in text and "± " in text
    assert "excluded industry: excluded by request" in text and "excluded sex: sensitive" in text and "lowest adverse impact ratio" in text
    spec = specs.load(out)
    assert (spec.model_id, spec.version) == ("retail", "2025.1") and "industry" not in spec.fields


@pytest.mark.usefixtures("training_stack")
@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, ("--target", "bad"), "train.no_target"),
        ("a,b,bad\n1,x,0\n2,y,0\n3,z,0\n", ("--target", "bad"), "train.one_class"),
        ("a,b,bad\n1,x,0\n2,y,1\n", ("--target", "bad", "--bad", "9"), "train.one_class"),
        ("a,b,grade\n1,x,A\n2,y,B\n3,z,C\n", ("--target", "grade"), "train.bad_value"),
        ("", ("--target", "bad"), "train.empty"),
        ("a,b,bad\n", ("--target", "bad"), "train.empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ("--target", "bad"), "train.not_csv"),
        ("a,bad\n" + "\xe9,1\n", ("--target", "bad"), "train.encoding"),
        (None, ("--target", "bad", "--exclude", "nope"), "train.no_column"),
        (None, ("--target", "bad", "--cv", "1"), "train.folds"),
    ],
)
def test_bad_input_gives_a_clear_message_and_writes_nothing(
    content: str | bytes | None, args: tuple[str, ...], message: str, applicants_csv: Path, tmp_path: Path
) -> None:
    data = applicants_csv
    if content is not None:
        data = tmp_path / "input.csv"
        if isinstance(content, bytes):
            data.write_bytes(content)
        else:
            data.write_bytes(content.encode("latin-1") if "\xe9" in content else content.encode())
    if message == "train.no_target":
        args = ("--target", "default_flag")
    out = tmp_path / "card.json"
    with pytest.raises(CommandError) as err:
        _run("train", "--data", str(data), *args, "--out", str(out))
    assert str(err.value).startswith(message)
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == [p.name for p in tmp_path.iterdir() if p.suffix == ".csv"]


def test_a_missing_data_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"train.no_file"):
        _run("train", "--data", str(tmp_path / "absent.csv"), "--target", "bad")


def test_score_uses_the_shipped_demo_scorecard_without_the_trainer(tmp_path: Path) -> None:
    data = synthetic.write_csv(tmp_path / "people.csv", synthetic.applicants(20, seed=6))
    root = Path(__file__).resolve().parents[1] / "data"
    lines = _run("score", "--spec", str(root / "demo_scorecard.json"), "--data", str(data), "--tiers", str(root / "demo_tier_policy.json"))
    rows = [line.split(",") for line in lines.splitlines()]
    assert len(rows) == 20 and all(r[2] in (scoring.HIGH, scoring.MEDIUM, scoring.LOW) for r in rows)
    edited = tmp_path / "edited.json"
    edited.write_text(
        (root / "demo_scorecard.json").read_text(encoding="utf-8").replace('"version": "1"', '"version": "2"'), encoding="utf-8"
    )
    with pytest.raises(CommandError, match=r"spec\.digest_mismatch"):
        _run("score", "--spec", str(edited), "--data", str(data))
    other = tmp_path / "other.csv"
    other.write_text("x,y\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="none of the scorecard's fields"):
        _run("score", "--spec", str(root / "demo_scorecard.json"), "--data", str(other))
    text = tmp_path / "text.csv"
    text.write_text("days_overdue\nlots\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"row 1: score.not_numeric"):
        _run("score", "--spec", str(root / "demo_scorecard.json"), "--data", str(text))
