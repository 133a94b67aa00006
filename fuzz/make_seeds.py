#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ from tests/vectors/*.json and a few
hand-made near misses. Re-run after the vectors change; the output is committed.

    python3 fuzz/make_seeds.py

Each target keeps under 50 files and 100 KB. Files are named by where they came from.
"""
import base64
import hashlib
import json
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
CORPUS = ROOT / "fuzz" / "corpus"
MAX_FILES = 50
MAX_BYTES = 100 * 1024
RECORD_ID = "NTcnXC2NduDP"  # the fixed id of fuzz_targets/record_decode.rs


def load(name):
    return json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))


def write(target, seeds):
    """seeds: list of (name, str|bytes); duplicates (by content) dropped."""
    out = CORPUS / target
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    seen = set()
    total = 0
    for name, content in seeds:
        data = content.encode("utf-8") if isinstance(content, str) else content
        if data in seen:
            continue
        seen.add(data)
        # Short content hash keeps names unique and stable.
        tag = hashlib.sha1(data).hexdigest()[:8]
        (out / f"{name}-{tag}").write_bytes(data)
        total += len(data)
    count = len(seen)
    assert count <= MAX_FILES, f"{target}: {count} files"
    assert total <= MAX_BYTES, f"{target}: {total} bytes"
    print(f"{target}: {count} files, {total} bytes")


def password_seeds():
    v = load("passwords")
    seeds = [("valid", x["password"]) for x in v["valid"]]
    seeds += [(f"malformed-{x['reason']}", x["password"]) for x in v["malformed"]]
    return seeds


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def basic_seeds():
    pw = load("passwords")["valid"]
    seeds = [("valid", basic("alice", pw[0]["password"])),
             ("valid", basic("bob@example.com", pw[1]["password"])),
             ("valid-unicode", basic("zoë", "pässwörd 🔑")),
             ("valid-colon-in-password", basic("u", "a:b:c")),
             ("valid-empty-password", basic("u", "")),
             ("valid-lowercase-scheme", "basic " + base64.b64encode(b"u:p").decode()),
             ("valid-spaces", "  BASIC   " + base64.b64encode(b"user:pw").decode() + "  "),
             ("roundtrip-pair", "carol\n" + pw[2]["password"]),
             ("roundtrip-pair", "dave\npass:with:colons"),
             ("no-colon", "Basic " + base64.b64encode(b"nocolon").decode()),
             ("bad-utf8", "Basic " + base64.b64encode(b"u:\xff\xfe").decode()),
             ("bad-base64", "Basic !!!!"),
             ("unpadded", "Basic " + base64.b64encode(b"u:pw").decode().rstrip("=")),
             ("bearer", "Bearer " + pw[0]["password"]),
             ("scheme-only", "Basic"),
             ("empty", ""),
             ("too-long", basic("u", "x" * 800))]
    return seeds


def scope_seeds():
    v = load("scopes")
    seeds = [("set", s["encoded"]) for s in v["sets"]]
    seeds += [("unclosed", s["encoded_unclosed"]) for s in v["sets"]]
    seeds.append(("empty-set", v["empty_set"]["encoded"]))
    seeds += [("invalid", x["encoded"]) for x in v["invalid_encodings"]]
    return seeds[:MAX_FILES]


def record_seeds():
    v = load("records")
    seeds = []
    for kind in ("valid", "invalid", "corrupt_at_use"):
        for x in v[kind]:
            # Move every record under the target's fixed id (the vectors use several).
            seeds.append((f"record-{kind}", x["json"].replace(x["id"], RECORD_ID)))
    for kind in ("valid", "invalid"):
        seeds += [(f"index-{kind}", x["json"]) for x in v["index_entries"][kind]]
    return seeds[:MAX_FILES]


def catalog_seeds():
    full = (ROOT / "scopes" / "bitbucket-app-password-scopes.json").read_text(encoding="utf-8")

    def cat(*scopes):
        return json.dumps({"scopes": list(scopes)}, separators=(",", ":"))

    return [("bitbucket", full),
            ("one", cat({"name": "read"})),
            ("chain", cat({"name": "a"}, {"name": "b", "implies": ["a"]},
                          {"name": "c", "implies": ["b"], "group": "G", "level": "Write"})),
            ("cycle", cat({"name": "a", "implies": ["b"]}, {"name": "b", "implies": ["a"]})),
            ("admin-not-grantable", cat({"name": "r"}, {"name": "admin", "implies": ["r"], "grantable": False})),
            ("grantable-implies-forbidden", cat({"name": "x", "grantable": False}, {"name": "y", "implies": ["x"]})),
            ("duplicate", cat({"name": "a"}, {"name": "a"})),
            ("unknown-implication", cat({"name": "a", "implies": ["zz"]})),
            ("nulls", cat({"name": "a", "group": None, "level": None, "implies": None, "grantable": None})),
            ("bad-types", cat({"name": 1}, {"name": "b", "implies": "a"})),
            ("whitespace-name", cat({"name": "a b"})),
            ("empty", cat()),
            ("not-object", "[]"),
            ("nested", "{\"scopes\":[" * 20 + "]}" * 20)]


def phc_seeds():
    v = load("phc")
    seeds = [("vector", x["phc"]) for x in v["vectors"]]
    seeds += [("invalid", x["phc"]) for x in v["invalid"] if len(x["phc"]) <= 1024]
    return seeds


def caveat_seeds():
    """Lines of <tag><value> (see fuzz_targets/caveat_parse.rs): caveats, then a request."""
    seeds = [
        ("allow-v4", "a10.0.0.0/8\ni10.1.2.3\nt5"),
        ("allow-v6", "a2001:db8::/32\nd2001:db8:1::/48\ni2001:db8::1"),
        ("mapped", "a::ffff:10.0.0.0/104\ni::ffff:10.9.9.9"),
        ("deny", "d10.1.0.0/16\na10.0.0.0/8\ni10.1.0.1"),
        ("host-bits", "a10.0.0.1/8\ni10.0.0.1"),
        ("methods", "mget\nmHEAD\nMGET"),
        ("paths", "p/api/repos/\np/api/user\nP/api/repos/1?x=/y"),
        ("path-dots", "p/api/repos/\nP/api/repos/%2e%2e/admin"),
        ("path-edge", "p/api/repos\nP/api/reposX"),
        ("not-before", "n1000\nt999"),
        ("max-uses", "u3\nmGET\nMGET"),
        ("everything", "a10.0.0.0/8\na::/0\nd10.66.0.0/16\nn5\nmget\nmHEAD\np/a/\np/b\nu9\ni10.1.1.1\nMGET\nP/a/x\nt5"),
    ]
    return seeds


def dedup_limit(seeds):
    out, seen = [], set()
    for name, content in seeds:
        if content not in seen:
            seen.add(content)
            out.append((name, content))
    return out[:MAX_FILES]


if __name__ == "__main__":
    write("password_parse", dedup_limit(password_seeds()))
    write("basic_header", dedup_limit(basic_seeds()))
    write("scope_decode", dedup_limit(scope_seeds()))
    write("record_decode", dedup_limit(record_seeds()))
    write("catalog_json", dedup_limit(catalog_seeds()))
    write("phc_verify", dedup_limit(phc_seeds()))
    write("caveat_parse", dedup_limit(caveat_seeds()))
