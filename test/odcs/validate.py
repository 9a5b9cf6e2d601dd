#!/usr/bin/python3
"""Validate ODCS documents against the ODCS JSON Schema.

Usage: validate.py SCHEMA DOCUMENT...

Each DOCUMENT is a JSON file, such as dataproduct.contract() exports.  The
validator is the one the schema's $schema names (Draft 2019-09 for ODCS
v3.1.0), from Debian's python3-jsonschema.  Prints one line per document
("ok FILE", or "invalid FILE: PATH: MESSAGE" per error) and exits 0 when
all are valid, 1 when any is not, 2 on a usage error.
"""
import json
import sys

import jsonschema


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER
                                if hasattr(validator_class, "FORMAT_CHECKER")
                                else jsonschema.FormatChecker())
    failed = False
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        if not errors:
            print(f"ok {path}")
            continue
        failed = True
        for error in errors:
            where = "/".join(str(p) for p in error.absolute_path) or "(document)"
            print(f"invalid {path}: {where}: {error.message}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
