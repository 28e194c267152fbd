"""``minhu insight hot``: a board export in, the ranked hot issues out; a file that is not what it says is refused
with a Chinese message naming the line or the problem, and nothing is written."""

from __future__ import annotations

import csv
from pathlib import Path

HEADER = "id,user,title,time,detail,likes,dislikes\n"
ROWS = (
    '1,U1,幸福里小区停水两天了,2019/8/1 9:00:00,"幸福里小区从前天开始停水，没有任何通知，老人做饭洗澡都成问题，'
    '请尽快恢复供水。",12,0',
    "2,U2,幸福里停水无通知,2019/8/1 18:30:00,幸福里小区2栋到8栋全部停水，物业说是管道爆裂，什么时候恢复供水？"
    "停水也不通知。,3,0",
    "3,U3,小区停水,2019/8/2 7:05:10,幸福里小区停水一天多了，自来水公司电话打不通，请尽快恢复供水。,0,1",
    "4,U4,阳光花园路灯不亮,2019/8/2 20:00:00,阳光花园5栋门口的路灯坏了一个多星期，晚上漆黑一片。,0,0",
    "5,U5,咨询社保转移,2019/8/3 10:00:00,从外地调来工作，养老保险关系怎么转到本市？,1,0",
)


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_the_hot_issues_are_written_ranked(run, tmp_path: Path) -> None:
    source, out = _write(tmp_path / "in.csv", HEADER + "\n".join(ROWS) + "\n"), tmp_path / "hot.csv"

    result = run("insight", "hot", "--input", str(source), "--output", str(out))

    assert result.exit_code == 0, result.output
    assert "已读 5 条留言，找到热点问题 1 个" in result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["rank", "heat", "title", "place", "first", "last", "count", "citizens", "likes",
                             "message_ids"]
    assert len(rows) == 1
    issue = rows[0]
    assert issue["rank"] == "1"
    assert issue["message_ids"] == "1 2 3"
    assert issue["count"] == "3"
    assert issue["citizens"] == "3"
    assert issue["likes"] == "15"
    assert "幸福里" in issue["place"]
    assert issue["first"] == "2019-08-01 09:00:00"
    assert issue["last"] == "2019-08-02 07:05:10"
    assert float(issue["heat"]) > 0


def _refused(run, tmp_path: Path, text: str | bytes) -> str:
    source, out = tmp_path / "in.csv", tmp_path / "hot.csv"
    if isinstance(text, bytes):
        source.write_bytes(text)
    else:
        _write(source, text)
    result = run("insight", "hot", "--input", str(source), "--output", str(out))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert not out.exists()
    return str(result.output)


def test_a_missing_column_is_named(run, tmp_path: Path) -> None:
    output = _refused(run, tmp_path, "id,title,detail\n1,停水,小区停水\n")

    assert "缺少列：user、time、likes" in output


def test_an_empty_file_is_named_as_such(run, tmp_path: Path) -> None:
    assert "是空文件" in _refused(run, tmp_path, "")
    assert "只有表头，没有留言" in _refused(run, tmp_path, HEADER)


def test_a_file_that_is_not_utf8_names_the_encoding_and_the_line(run, tmp_path: Path) -> None:
    raw = (HEADER + "\n".join(ROWS) + "\n").encode("utf-8")
    broken = raw.replace("阳光花园".encode(), "阳光花园".encode("gbk"))

    output = _refused(run, tmp_path, broken)

    assert "第 5 行" in output
    assert "UTF-8" in output


def test_a_spreadsheet_saved_as_gbk_is_named_as_such(run, tmp_path: Path) -> None:
    assert "GB18030/GBK" in _refused(run, tmp_path, (HEADER + "\n".join(ROWS) + "\n").encode("gbk"))


def test_a_bad_time_or_count_of_likes_names_its_line(run, tmp_path: Path) -> None:
    bad_time = HEADER + ROWS[0] + "\n" + "2,U2,停水,昨天,小区停水,0,0\n"
    bad_likes = HEADER + ROWS[0] + "\n" + "2,U2,停水,2019/8/1 9:00:00,小区停水,很多,0\n"

    assert "第 3 行：time 不是有效时间：昨天" in _refused(run, tmp_path, bad_time)
    assert "第 3 行：likes 不是数字：很多" in _refused(run, tmp_path, bad_likes)


def test_a_repeated_id_names_its_line(run, tmp_path: Path) -> None:
    assert "第 3 行：id 1 与前面的留言重复" in _refused(run, tmp_path, HEADER + ROWS[0] + "\n" + ROWS[0] + "\n")
