#!/usr/bin/env python3
"""Copies the parts of OpenAI's published OpenAPI description that the tests validate against.

    git clone https://github.com/openai/openai-openapi && \
        python3 tools/extract_openai_schemas.py openai-openapi/openapi.json <commit> <commit date>

Writes src/test/resources/openai/openai-openapi-subset.json: the component schemas named in ROOTS and every schema
they reference, unchanged, under components.schemas (so that their "#/components/schemas/..." references resolve in
the copy as in the original), with the source, commit and licence in info. The licence (MIT) goes beside it as
LICENSE-openai-openapi.txt; copy it from the same checkout.
"""
import json
import sys

ROOTS = ["CreateChatCompletionRequest", "CreateEmbeddingRequest", "CreateEmbeddingResponse", "ListModelsResponse",
         "Model", "ErrorResponse"]
PREFIX = "#/components/schemas/"


def references(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                if not value.startswith(PREFIX):
                    raise SystemExit(f"unexpected reference {value}")
                found.add(value[len(PREFIX):])
            else:
                references(value, found)
    elif isinstance(node, list):
        for value in node:
            references(value, found)


def main(source, commit, date):
    spec = json.load(open(source, encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    kept, todo = set(), list(ROOTS)
    while todo:
        name = todo.pop()
        if name in kept:
            continue
        kept.add(name)
        found = set()
        references(schemas[name], found)
        todo.extend(sorted(found - kept))
    subset = {
        "openapi": spec["openapi"],
        "info": {
            "title": "A subset of OpenAI's OpenAPI description, for tests",
            "version": spec["info"]["version"],
            "x-source": f"https://github.com/openai/openai-openapi/blob/{commit}/openapi.json ({date})",
            "x-license": "MIT, Copyright (c) OpenAI; see LICENSE-openai-openapi.txt beside this file",
            "x-extracted-by": "tools/extract_openai_schemas.py: " + ", ".join(ROOTS) + " and what they reference",
        },
        "components": {"schemas": {name: schemas[name] for name in sorted(kept)}},
    }
    out = "src/test/resources/openai/openai-openapi-subset.json"
    with open(out, "w", encoding="utf-8") as file:
        json.dump(subset, file, indent=1, ensure_ascii=False, sort_keys=False)
        file.write("\n")
    print(f"{out}: {len(kept)} schemas")


if __name__ == "__main__":
    main(*sys.argv[1:4])
