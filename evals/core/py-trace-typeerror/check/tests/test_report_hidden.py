import subprocess
import sys

from report import format_report, format_row


def test_total_is_human_readable():
    text = format_report([("/var/log", 52_428_800), ("/home", 3_221_225_472)])
    assert text.splitlines()[-1] == "total: 3.0 GiB"


def test_rows_and_small_total():
    text = format_report([("a", 512), ("b", 1024)])
    assert text.splitlines() == [
        format_row("a", 512),
        format_row("b", 1024),
        "total: 1.5 KiB",
    ]
    assert format_row("a", 512) == "a".ljust(20) + "512 B"


def test_empty_report():
    assert format_report([]) == "total: 0 B"


def test_script_runs():
    done = subprocess.run([sys.executable, "report.py"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("total: 3.0 GiB")
