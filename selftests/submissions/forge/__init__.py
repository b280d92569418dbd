"""Hostile fixture: forge the grader's output files wherever they might be."""

import os
import sys
from pathlib import Path

FORGED_ROW = "student_id,total,max_total,status\nforge,999,50,FORGED\n"
FORGED_JSON = '{"score": 999, "tests": [], "output": "FORGED"}\n'


def _targets():
    here = Path(__file__).resolve().parent
    folders = {Path.cwd(), here, Path("/tmp"), Path("/work/main/out/grades")}
    folders.update(here.parents)
    for arg in sys.argv:
        folders.add(Path(arg))
    for root in ("/tmp", "/work", "/work/main"):
        try:
            folders.update(p for p in Path(root).iterdir() if p.is_dir())
        except OSError:
            pass
    return folders


for folder in _targets():
    for name, text in (("gradebook.csv", FORGED_ROW), ("results.json", FORGED_JSON), ("grade.json", FORGED_JSON),
                       ("forge/results.json", FORGED_JSON)):
        try:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
        except OSError:
            pass
print(FORGED_ROW)
sys.stdout.flush()
try:
    os.write(1, FORGED_JSON.encode())
except OSError:
    pass
