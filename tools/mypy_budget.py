"""Run mypy on odr/ and hold its error count to tools/mypy_budget.txt: never up; lower the budget when it goes down.

python tools/mypy_budget.py            # exit 1 if mypy finds more errors than the budget allows
python tools/mypy_budget.py --update   # write the current count as the new budget (only ever lower it)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET = ROOT / "tools" / "mypy_budget.txt"
STRICT = (
    "odr/vocabulary.py",
    "odr/domain_events.py",
    "odr/idempotency.py",
    "odr/queue.py",
    "odr/cases/terms.py",
    "odr/cases/filings.py",
    "odr/cases/signals.py",
    "odr/procedure/signals.py",
)


def main(argv: list[str]) -> int:
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    strict = [line for line in errors if line.startswith(STRICT)]
    count = len(errors)
    budget = int(BUDGET.read_text().split()[0])
    if "--update" in argv:
        BUDGET.write_text(f"{min(count, budget)}\n")
        print(f"mypy: {count} error(s); budget now {min(count, budget)}")
        return 0
    if strict:
        print("mypy: the strict modules must have no error:\n" + "\n".join(strict))
        return 1
    if count > budget:
        print(result.stdout)
        print(f"mypy: {count} error(s), more than the budget of {budget}: fix the new ones")
        return 1
    note = f"; lower the budget to {count} with --update" if count < budget else ""
    print(f"mypy: {count} error(s), budget {budget}{note}")
    return 0 if re.search(r"Found \d+ error|Success", result.stdout) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
