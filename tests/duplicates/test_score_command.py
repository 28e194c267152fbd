"""``minhu duplicates score``: the scorer intake uses, on anyone's pairs."""

from __future__ import annotations

import csv
from pathlib import Path

from minhu.duplicates import scoring

HEADER = "id,a_title,a_detail,a_address,a_time,b_title,b_detail,b_address,b_time\n"
LAMP = "幸福里小区路灯不亮,幸福里小区3栋门口的路灯坏了一个多星期，晚上漆黑一片，老人出门不安全。"
PAIRS = HEADER + "\n".join((
    # The same lamp in another reporter's words, two days later.
    f"same,{LAMP},,2026-05-01T20:00:00,路灯坏了没人修,我住在幸福里小区，三栋楼下那盏路灯一直不亮，昨晚走路差点摔倒，"
    "请派人修一下。,,2026-05-03T08:30:00",
    # The same words about another estate's lamp.
    f"elsewhere,{LAMP},,2026-05-01T20:00:00,阳光花园路灯不亮,阳光花园3栋门口的路灯坏了一个多星期，晚上漆黑一片，"
    "老人出门不安全。,,2026-05-02T20:00:00",
    # The same estate, another matter; the place given only as an address.
    f"other-matter,{LAMP},,2026-05-01T20:00:00,物业乱收费,物业今年把物业费从每平米1.2元涨到2元，没有开业主大会。,"
    "幸福里小区,2026/5/2 9:00:00",
)) + "\n"


def test_each_pair_gets_the_verdict_intake_would_give(run, tmp_path: Path) -> None:
    pairs, out = tmp_path / "pairs.csv", tmp_path / "out.csv"
    pairs.write_text(PAIRS, encoding="utf-8")

    result = run("duplicates", "score", "--input", str(pairs), "--output", str(out))

    assert result.exit_code == 0, result.output
    assert "已比对 3 对，判为同一事项 1 对" in result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["same", "elsewhere", "other-matter"]
    verdict = {r["id"]: (r["same"], float(r["score"])) for r in rows}
    join = scoring.forest().join
    assert verdict["same"][0] == "1"
    assert verdict["same"][1] >= join
    assert verdict["elsewhere"][0] == "0"
    assert verdict["elsewhere"][1] < scoring.forest().suggest
    assert verdict["other-matter"][0] == "0"
    assert verdict["other-matter"][1] < scoring.forest().suggest


def test_a_bad_time_names_its_line_and_nothing_is_written(run, tmp_path: Path) -> None:
    pairs, out = tmp_path / "pairs.csv", tmp_path / "out.csv"
    pairs.write_text(HEADER + f"x,{LAMP},,昨天晚上,标题,内容,,2026-05-01T08:00:00\n", encoding="utf-8")

    result = run("duplicates", "score", "--input", str(pairs), "--output", str(out))

    assert result.exit_code == 1
    assert "第 2 行：a_time 不是有效时间：昨天晚上" in result.output
    assert not out.exists()


def test_a_file_without_the_columns_says_which_are_missing(run, tmp_path: Path) -> None:
    pairs, out = tmp_path / "pairs.csv", tmp_path / "out.csv"
    pairs.write_text("id,title,detail\n1,路灯不亮,路灯坏了\n", encoding="utf-8")

    result = run("duplicates", "score", "--input", str(pairs), "--output", str(out))

    assert result.exit_code == 1
    assert "缺少列：a_title、a_detail" in result.output
    assert not out.exists()
