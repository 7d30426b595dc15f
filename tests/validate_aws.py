"""Validate `pumphound block` AWS files against the service model botocore ships (no network).

usage: python validate_aws.py FILE.json...

A file named country-rules-*.json is an UpdateProtectConfigurationCountryRuleSet input, any
other a PutProtectConfigurationRuleSetNumberOverride input. botocore's own validator catches
unknown and missing members and wrong types; the limits it leaves to the service (map and
string lengths, patterns, enums) are checked here from the same model. Exit 1 on any error.
"""

import json
import os
import re
import sys

import botocore.session
from botocore.validate import ParamValidator


def limits(shape, value, path, errors):
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name, member in value.items():
            if name in shape.members:
                limits(shape.members[name], member, f"{path}.{name}", errors)
    elif kind == "map" and isinstance(value, dict):
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{path}: {len(value)} entries, the model allows at most {meta['max']}")
        if "min" in meta and len(value) < meta["min"]:
            errors.append(f"{path}: {len(value)} entries, the model needs at least {meta['min']}")
        for key, member in value.items():
            limits(shape.key, key, f"{path} key {key!r}", errors)
            limits(shape.value, member, f"{path}.{key}", errors)
    elif kind == "string" and isinstance(value, str):
        if "enum" in meta and value not in meta["enum"]:
            errors.append(f"{path}: {value!r} is not one of {meta['enum']}")
        if "pattern" in meta and not re.fullmatch(meta["pattern"], value):
            errors.append(f"{path}: {value!r} does not match {meta['pattern']}")
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{path}: longer than {meta['max']}")
        if "min" in meta and len(value) < meta["min"]:
            errors.append(f"{path}: shorter than {meta['min']}")


def main(paths):
    model = botocore.session.get_session().get_service_model("pinpoint-sms-voice-v2")
    failed = 0
    for path in paths:
        name = os.path.basename(path)
        op = "UpdateProtectConfigurationCountryRuleSet" if name.startswith("country-rules") else "PutProtectConfigurationRuleSetNumberOverride"
        shape = model.operation_model(op).input_shape
        with open(path, encoding="utf-8") as f:
            params = json.load(f)
        errors = []
        report = ParamValidator().validate(params, shape)
        if report.has_errors():
            errors.append(report.generate_report())
        limits(shape, params, op, errors)
        for e in errors:
            print(f"{path}: {e}")
        failed += bool(errors)
    print(f"{len(paths) - failed} of {len(paths)} files valid against botocore {botocore.__version__}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
