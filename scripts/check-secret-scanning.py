#!/usr/bin/env python3
"""Checks docs/gitleaks.toml and the validators in docs/secret-scanning.md against
tests/vectors/passwords.json, without gitleaks: the rule's regex is run with Python's re in
ASCII mode (Go's RE2 \\b is ASCII-only), its entropy threshold with gitleaks' Shannon entropy,
and the doc's Python and JavaScript (node, when present) checksum validators on every vector.

Then the repository passes its own rule: every git-tracked file is scanned for (a) any string
of the password's shape, with any prefix, whose checksum holds (a real password): allowed only
under the allowlisted paths (tests/vectors/, fuzz/corpus/); and (b) what gitleaks would report
with this config (regex, entropy, both allowlists), in the files and in every commit of the
history: nothing may be left.

    python3 scripts/check-secret-scanning.py
"""
import json
import math
import pathlib
import re
import shutil
import subprocess
import sys
import tomllib
from collections import Counter

ROOT = pathlib.Path(__file__).resolve().parent.parent
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}")


def entropy(s):
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


config = tomllib.loads((ROOT / "docs" / "gitleaks.toml").read_text(encoding="utf-8"))
rule = next(r for r in config["rules"] if r["id"] == "app-password")
check(rule["regex"] == r"\bapw_[0-9A-Za-z]{50}\b", "the rule's regex")
check(rule["keywords"] == ["apw_"], "keywords")
regex = re.compile(rule["regex"], re.ASCII)
threshold = rule["entropy"]


def gitleaks_findings(text):
    """What the rule reports: keyword present, regex match, entropy above the threshold."""
    if not any(k.lower() in text.lower() for k in rule["keywords"]):
        return []
    return [m.group(0) for m in regex.finditer(text) if entropy(m.group(0)) > threshold]


vectors = json.loads((ROOT / "tests" / "vectors" / "passwords.json").read_text(encoding="utf-8"))
valid = [v["password"] for v in vectors["valid"]]
apw_valid = [v["password"] for v in vectors["valid"] if v["prefix"] == "apw"]
check(len(apw_valid) >= 3, "vectors with the default prefix")

# Every default-prefix password is found, alone and in the places leaks happen.
for pw in apw_valid:
    check(gitleaks_findings(pw) == [pw], f"bare {pw}")
    for context in (f'APP_PASSWORD="{pw}"', f"token: {pw}\n", f"https://alice:{pw}@api.example.test/",
                    f"curl -u alice:{pw} https://x.test", f"({pw})", f"`{pw}`", f"é{pw}ü"):
        check(gitleaks_findings(context) == [pw], f"{pw} in {context!r}")
    # Glued to more word characters, it is not a password of this shape.
    for glued in (f"x{pw}", f"{pw}0", f"{pw}_", f"_{pw}", f"{pw[:-1]}", pw.upper(), pw.replace("apw_", "apw-")):
        check(gitleaks_findings(glued) == [], f"no match in {glued!r}")
# Other prefixes are not this rule's business.
for pw in valid:
    if not pw.startswith("apw_"):
        check(gitleaks_findings(pw) == [], f"other prefix {pw}")

# Malformed vectors: the regex finds exactly the right-shape ones (wrong checksum included:
# those are the false positives the checksum validator removes).
for m in vectors["malformed"]:
    pw = m["password"]
    shape = pw.startswith("apw_") and len(pw) == 54 and all(c.isascii() and c.isalnum() for c in pw[4:])
    check(bool(regex.fullmatch(pw)) == shape, f"regex on malformed {pw!r}")

# Entropy: generated passwords clear the threshold, placeholders do not.
for pw in valid:
    check(entropy(pw) > threshold, f"entropy of {pw}")
for placeholder in ("apw_" + "x" * 50, "apw_" + "0123456789" * 5, "apw_" + "ab" * 25,
                    "apw_" + "EXAMPLEexample" * 3 + "EXAMPLE0"):
    check(regex.fullmatch(placeholder) and gitleaks_findings(placeholder) == [], f"placeholder {placeholder}")

# The doc's validators.
doc = (ROOT / "docs" / "secret-scanning.md").read_text(encoding="utf-8")
py_src = re.search(r"Python:\n\n```python[^\n]*\n(.*?)```", doc, re.S).group(1)
js_src = re.search(r"JavaScript \(browsers, Node, Workers\):\n\n```js[^\n]*\n(.*?)```", doc, re.S).group(1)
ns = {}
exec(py_src, ns)
cases = [(v["password"], v["prefix"], True) for v in vectors["valid"]]
cases += [(m["password"], m["prefix"], False) for m in vectors["malformed"]]
for pw, prefix, expect in cases:
    check(ns["looks_like_app_password"](pw, prefix) is expect, f"python validator {pw!r} {prefix}")
for v in vectors["valid"]:
    check(ns["check_digits"](v["password"][:-6]) == v["check"], f"python check digits {v['password']}")
# Scanning text: some malformed vectors hold a real password with a space or another prefix
# around it, and a scanner rightly finds it there.
lines = [f"line {i}: {pw}" for i, (pw, _, _) in enumerate(cases)]
expected = [p for line in lines for p in apw_valid
            if re.search(r"(?<![0-9A-Za-z_])" + p + r"(?![0-9A-Za-z_])", line)]
check(len(expected) > len(apw_valid), "some malformed vectors embed a real password")
check(ns["find_app_passwords"]("\n".join(lines)) == expected, "python find_app_passwords on all vectors")

node = shutil.which("node")
if node:
    harness = js_src + "\nconst cases = " + json.dumps(cases) + ";\n" + """
let bad = 0;
for (const [pw, prefix, expect] of cases) {
  if (looksLikeAppPassword(pw, prefix) !== expect) { bad++; console.log(`FAIL: js validator ${JSON.stringify(pw)} ${prefix}`); }
}
console.log(`js ${cases.length - bad} ${bad}`);
"""
    out = subprocess.run([node, "--input-type=module", "-e", harness], capture_output=True, text=True)
    print(out.stdout, end="")
    good_bad = re.search(r"^js (\d+) (\d+)$", out.stdout, re.M)
    check(out.returncode == 0 and good_bad is not None and good_bad.group(2) == "0", "javascript validator")
    if good_bad:
        passed += int(good_bad.group(1))
else:
    print("node not found: JavaScript validator not run")

# The repository against its own rule.
allowlists = rule.get("allowlists", [])
allowed_paths = [re.compile(p) for a in allowlists for p in a.get("paths", [])]
allowed_matches = [re.compile(r) for a in allowlists if a.get("regexTarget") == "match" for r in a.get("regexes", [])]
check(all(a.get("regexTarget") in (None, "match") for a in allowlists), "allowlists target the match (or paths)")
for r in allowed_matches:
    # An exact string, or strings differing only in the last character: never a wider pattern.
    check(re.fullmatch(r"\^apw_[0-9A-Za-z]{49}(?:[0-9A-Za-z]|\[[0-9A-Za-z]{2,4}\])\$", r.pattern) is not None,
          f"allowlisted exact strings, never a pattern: {r.pattern}")


def path_allowed(path):
    return any(p.search(path) for p in allowed_paths)


def reported(path, text):
    """What gitleaks would report in one file with this config."""
    if path_allowed(path):
        return []
    return [m for m in gitleaks_findings(text) if not any(r.search(m) for r in allowed_matches)]


ANY_PREFIX = re.compile(r"\b[a-z][a-z0-9]{0,15}_[0-9A-Za-z]{50}\b", re.ASCII)
tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
scanned = 0
for path in filter(None, tracked):
    file = ROOT / path
    if not file.is_file():
        continue
    text = file.read_bytes().decode("utf-8", errors="ignore")
    scanned += 1
    real = [m.group(0) for m in ANY_PREFIX.finditer(text) if ns["check_digits"](m.group(0)[:-6]) == m.group(0)[-6:]]
    check(not real or path_allowed(path), f"{path}: a checksum-valid password outside the allowlisted paths: {real[:3]}")
    left = reported(path, text)
    check(not left, f"{path}: gitleaks would report {left[:3]}")
check(scanned > 50, f"scanned the tracked files ({scanned})")
print(f"repository: {scanned} tracked files scanned")

# Every commit: what `gitleaks git --config docs/gitleaks.toml .` reads.
revs = subprocess.run(["git", "rev-list", "--all"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
history = subprocess.run(["git", "grep", "-I", "-o", "-E", "apw_[0-9A-Za-z]{50}", *revs], cwd=ROOT, capture_output=True, text=True)
check(history.returncode in (0, 1), "git grep over the history")
hits = 0
for line in history.stdout.splitlines():
    rev, path, match = line.split(":", 2)
    hits += 1
    left = reported(path, match)
    check(not left, f"{rev[:10]}:{path}: gitleaks would report {left}")
print(f"history: {len(revs)} commits, {hits} password-shaped strings, all allowlisted or not reported")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
