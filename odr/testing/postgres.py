"""Print the PostgreSQL URL for the test run if the server answers, else nothing.

On CI (CI=true) an unreachable server is an error: the PostgreSQL pass must not be skipped there.
"""

from __future__ import annotations

import os
import sys

from sqlalchemy import create_engine, text


def main(url: str) -> int:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means: no PostgreSQL pass here
        if os.environ.get("CI") == "true":
            print(f"PostgreSQL is required on CI but unreachable at {url}: {exc}", file=sys.stderr)
            return 1
        print(f"note: PostgreSQL unreachable at {url}; running on SQLite only", file=sys.stderr)
        return 0
    print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
