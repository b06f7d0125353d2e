"""Write the JSON contract's schemas and example documents into docs/ (run after changing the contract).

    python docs/scripts/write_schemas.py

The published major version's schemas (``docs/schemas/v1/``) are written only
when missing: they are the contract existing clients rely on, and the tests
check that today's schemas stay compatible with them.
"""

from __future__ import annotations

import json
from pathlib import Path

from pairmatch.contract import SCHEMA_VERSION, match, schemas

DOCS = Path(__file__).resolve().parents[1]


def dump(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main() -> None:
    major = SCHEMA_VERSION.split(".")[0]
    published = DOCS / "schemas" / f"v{major}"
    published.mkdir(parents=True, exist_ok=True)
    for name, schema in schemas(service=True).items():
        (DOCS / "schemas" / f"{name}.json").write_text(dump(schema), encoding="utf-8")
        frozen = published / f"{name}.json"
        if not frozen.exists():
            frozen.write_text(dump(schema), encoding="utf-8")
    for request in sorted((DOCS / "examples").glob("request-*.json")):
        response = match(request.read_text(encoding="utf-8"))
        target = request.with_name(request.name.replace("request-", "response-"))
        target.write_text(dump(response.model_dump(mode="json", exclude_none=True)), encoding="utf-8")


if __name__ == "__main__":
    main()
