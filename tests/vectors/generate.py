#!/usr/bin/env python3
"""Regenerates the test vectors in tests/vectors/*.json.

Every expected value here is computed independently of the Rust crate:

- checksums with Python's zlib.crc32 (IEEE CRC-32, as the spec says), base62 by hand;
- random passwords from a SplitMix64 generator written here (the Rust tests carry their own
  copy in tests/common/mod.rs);
- scope closures from the catalogue file, with a closure computed here;
- Argon2 tags with argon2-cffi (the reference C implementation, libargon2), through its
  low-level ffi so that the secret (pepper) and associated data inputs are available;
- RFC 9106 section 5 tags, copied from the RFC and re-checked with libargon2 below.

Usage:  pip install argon2-cffi==25.1.0 && python3 tests/vectors/generate.py
The output is deterministic (fixed seeds and salts), so a re-run rewrites identical files.
"""

import base64
import json
import os
import zlib

from _argon2_cffi_bindings import ffi, lib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CATALOG_PATH = os.path.join(ROOT, "scopes", "bitbucket-app-password-scopes.json")

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ID_LEN, SECRET_LEN, CHECK_LEN = 12, 32, 6
BODY_LEN = ID_LEN + SECRET_LEN + CHECK_LEN
MASK = (1 << 64) - 1


# --------------------------------------------------------------------------- random source

class SplitMix64:
    """Steele, Lea, Flood (2014); the same constants as java.util.SplittableRandom."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def fill(self, n):
        """n bytes: successive outputs, each little-endian; the unused tail of the last dropped."""
        out = bytearray()
        while len(out) < n:
            out += self.next_u64().to_bytes(8, "little")
        return bytes(out[:n])


assert SplitMix64(0).next_u64() == 0xE220A8397B1DCDAF  # published first output for seed 0


# --------------------------------------------------------------------------- passwords

def base62_check(value):
    digits = []
    for _ in range(CHECK_LEN):
        digits.append(ALPHABET[value % 62])
        value //= 62
    assert value == 0
    return "".join(reversed(digits))


def check_digits(head):
    return base62_check(zlib.crc32(head.encode("ascii")) & 0xFFFFFFFF)


def generate(prefix, rng):
    """The generator's documented draw: 64-byte blocks; byte b < 248 gives ALPHABET[b % 62],
    bytes >= 248 are skipped; the rest of a block is dropped once 44 characters are drawn."""
    chars = []
    while len(chars) < ID_LEN + SECRET_LEN:
        for b in rng.fill(64):
            if b >= 248:
                continue
            if len(chars) == ID_LEN + SECRET_LEN:
                break
            chars.append(ALPHABET[b % 62])
    head = prefix + "_" + "".join(chars)
    return head + check_digits(head)


def prefix_ok(prefix):
    return (
        1 <= len(prefix) <= 16
        and "a" <= prefix[0] <= "z"
        and all(c in "abcdefghijklmnopqrstuvwxyz0123456789" for c in prefix)
    )


def classify(candidate, prefix):
    """The spec's parse order: prefix, length, alphabet, checksum. None when valid."""
    if not candidate.startswith(prefix + "_"):
        return "wrong_prefix"
    body = candidate[len(prefix) + 1:]
    if len(body.encode("utf-8")) != BODY_LEN:
        return "wrong_length"
    if not all(c in ALPHABET for c in body):
        return "bad_alphabet"
    head, check = candidate[:-CHECK_LEN], candidate[-CHECK_LEN:]
    if check_digits(head) != check:
        return "bad_checksum"
    return None


def looks_like(candidate):
    if "_" not in candidate:
        return False
    prefix = candidate.split("_", 1)[0]
    return prefix_ok(prefix) and classify(candidate, prefix) is None


def with_fixed_check(head):
    return head + check_digits(head)


def password_vectors():
    valid = []
    cases = [
        (0, "apw"), (1, "apw"), (42, "apw"), (0xDEADBEEFCAFEF00D, "apw"),
        (0xFFFFFFFFFFFFFFFF, "apw"), (7, "acme"), (8, "x"), (9, "abcdefghijklmnop"),
        (10, "k8s2"),
    ]
    for seed, prefix in cases:
        pw = generate(prefix, SplitMix64(seed))
        body = pw[len(prefix) + 1:]
        head = pw[:-CHECK_LEN]
        crc = zlib.crc32(head.encode("ascii")) & 0xFFFFFFFF
        assert classify(pw, prefix) is None and looks_like(pw)
        valid.append({
            "seed_hex": "0x%016x" % seed,
            "prefix": prefix,
            "password": pw,
            "id": body[:ID_LEN],
            "secret": body[ID_LEN:ID_LEN + SECRET_LEN],
            "check": body[ID_LEN + SECRET_LEN:],
            "crc32": crc,
            "crc32_hex": "%08x" % crc,
        })

    base = valid[0]["password"]          # apw, seed 0
    other = valid[5]["password"]         # acme, seed 7
    body = base[4:]
    head = base[:-CHECK_LEN]

    def flip_case(c):
        return c.lower() if c.isupper() else c.upper() if c.islower() else ("1" if c == "0" else "0")

    malformed = [
        ("APW_" + body, "apw", "prefix is case-sensitive"),
        ("apx_" + body, "apw", "another prefix"),
        ("apw-" + body, "apw", "separator must be an underscore"),
        ("apw" + body, "apw", "no separator"),
        (body, "apw", "no prefix at all"),
        ("", "apw", "empty string"),
        ("ghp_" + "0" * 36, "apw", "a GitHub token shape"),
        (" " + base, "apw", "leading space"),
        (other, "apw", "valid password with prefix acme, parsed with prefix apw"),
        (base, "apwx", "valid apw password, parsed with prefix apwx"),
        (base[:-1], "apw", "one character short"),
        (base + "0", "apw", "one character extra"),
        (base + " ", "apw", "trailing space"),
        ("apw_", "apw", "prefix only"),
        ("apw_" + body[:25], "apw", "half a body"),
        (base[:10] + "-" + base[11:], "apw", "hyphen in the id"),
        (base[:30] + "_" + base[31:], "apw", "underscore in the secret"),
        (base[:30] + "+" + base[31:], "apw", "standard-base64 plus sign"),
        (base[:-1] + "/", "apw", "slash in the checksum"),
        (base[:20] + "\u00e9" + base[22:], "apw", "two ASCII chars replaced by one 2-byte UTF-8 char (same byte length)"),
        ("apw__" + body[1:], "apw", "underscore right after the separator"),
        (base[:-1] + flip_case(base[-1]), "apw", "last check digit changed"),
        (base[:-6] + "000000", "apw", "check digits zeroed"),
        (base[:5] + flip_case(base[5]) + base[6:], "apw", "one id character changed"),
        (base[:40] + flip_case(base[40]) + base[41:], "apw", "one secret character changed"),
    ]
    # Adjacent transposition of two different characters in the secret.
    i = next(k for k in range(20, 45) if base[k] != base[k + 1])
    malformed.append((base[:i] + base[i + 1] + base[i] + base[i + 2:], "apw", "two adjacent secret characters swapped"))
    # Same body under another prefix: the checksum covers the prefix.
    malformed.append(("acme_" + body, "acme", "apw body moved under prefix acme (checksum covers the prefix)"))
    out = []
    for pw, prefix, why in malformed:
        reason = classify(pw, prefix)
        assert reason is not None, why
        out.append({"password": pw, "prefix": prefix, "reason": reason, "looks_like": looks_like(pw), "why": why})
    # A re-check of a valid password with a fixed checksum over a changed secret: valid.
    changed = head[:30] + ("A" if head[30] != "A" else "B") + head[31:]
    fixed = with_fixed_check(changed)
    assert classify(fixed, "apw") is None

    return {
        "source": "Generated by tests/vectors/generate.py: SplitMix64 and the base62 draw written in Python, "
                  "check digits from Python zlib.crc32 (IEEE CRC-32), reasons from a Python re-implementation "
                  "of docs/design.md#the-password (prefix, length, alphabet, checksum, in that order). Not produced by the Rust crate.",
        "format": "{prefix}_{id}{secret}{check}; id 12, secret 32, check 6 chars of 0-9A-Za-z; check = CRC-32 (zlib) of "
                  "the ASCII bytes before it, base62 most significant digit first, digit values in alphabet order, "
                  "left-padded with 0 to 6",
        "alphabet": ALPHABET,
        "random_source": {
            "algorithm": "SplitMix64 (state += 0x9E3779B97F4A7C15; z = (z ^ z>>30) * 0xBF58476D1CE4E5B9; "
                         "z = (z ^ z>>27) * 0x94D049BB133111EB; z ^ z>>31), seeded with seed_hex",
            "bytes": "successive 64-bit outputs, each written little-endian; a request for n bytes drops the unused tail of the last output",
            "draw": "the generator asks for 64-byte blocks; each byte b < 248 gives ALPHABET[b % 62] (rejection sampling), "
                    "bytes >= 248 are skipped; once 44 characters are drawn the rest of the block is dropped; "
                    "the first 12 characters are the id, the next 32 the secret",
            "first_output_seed_0": "0xe220a8397b1dcdaf",
        },
        "valid": valid,
        "malformed": out,
    }


# --------------------------------------------------------------------------- scopes

def load_catalog():
    with open(CATALOG_PATH, encoding="utf-8") as f:
        return json.load(f)["scopes"]


def closure_of(catalog, names):
    pos = {s["name"]: i for i, s in enumerate(catalog)}
    todo = list(names)
    seen = set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        todo.extend(catalog[pos[n]]["implies"])
    return sorted(seen, key=lambda n: pos[n])


def encode_positions(positions):
    value = 0
    for p in positions:
        value |= 1 << p
    raw = value.to_bytes(32, "little").rstrip(b"\0")
    return "v1." + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def b64url(raw):
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def scope_vectors():
    catalog = load_catalog()
    pos = {s["name"]: i for i, s in enumerate(catalog)}
    grantable = [s["name"] for s in catalog if s.get("grantable", True)]
    inputs = [
        ["email"],
        ["account:write"],
        ["repository"],
        ["repository:write"],
        ["pullrequest:write"],
        ["pullrequest:write", "repository"],
        ["repository", "pullrequest:write", "repository"],
        ["project"],
        ["project:admin"],
        ["repository:admin"],
        ["pipeline:variable"],
        ["runner:write", "team:write", "snippet:write", "issue:write", "wiki", "webhook"],
        ["runner"],
        ["workspace:admin"],
        ["account:login"],
        grantable,
        [s["name"] for s in catalog],
    ]
    sets = []
    for names in inputs:
        closed = closure_of(catalog, names)
        positions = [pos[n] for n in closed]
        sets.append({
            "names": names,
            "closure": " ".join(closed),
            "positions": positions,
            "encoded": encode_positions(positions),
            "encoded_unclosed": encode_positions(sorted({pos[n] for n in names})),
            "grantable": all(n in grantable for n in names),
        })
    n = len(catalog)
    invalid = [
        ("", "no version prefix"),
        ("AQ", "no version prefix"),
        ("v2.AQ", "unknown version"),
        ("V1.AQ", "version prefix is case-sensitive"),
        ("v1AQ", "missing dot"),
        ("v1.AQ==", "padding is not allowed"),
        ("v1.AQ=", "padding is not allowed"),
        ("v1.A", "a single base64 character cannot encode a byte"),
        ("v1.AR", "non-canonical: trailing bits set (AQ is canonical for 0x01)"),
        ("v1.AQA", "trailing zero byte (non-canonical length)"),
        ("v1.AAAA", "all-zero bytes are not the canonical empty set (v1.)"),
        ("v1.A+", "standard base64 alphabet is not base64url"),
        ("v1.A/", "standard base64 alphabet is not base64url"),
        ("v1. AQ", "whitespace"),
        ("v1.AQ\n", "trailing newline"),
        ("v1.AQ.", "trailing data"),
        ("v1." + b64url((1 << n).to_bytes(4, "little")), "bit %d is beyond the catalogue's %d scopes" % (n, n)),
        ("v1." + b64url(bytes([0, 0, 0, 0x80])), "bit 31 is beyond the catalogue"),
        ("v1." + b64url(b"\xff" * 32), "every bit of 256 set"),
        ("v1." + b64url(b"\x01" * 33), "33 bytes: longer than the 256-bit set"),
        ("v1." + "A" * 100, "far too long"),
    ]
    return {
        "source": "Generated by tests/vectors/generate.py from scopes/bitbucket-app-password-scopes.json: closures computed "
                  "in Python from the catalogue's direct implications; encodings by Python base64.urlsafe_b64encode. "
                  "Not produced by the Rust crate.",
        "catalog": "scopes/bitbucket-app-password-scopes.json",
        "catalog_size": n,
        "text_form": "scope names in catalogue order, separated by one space",
        "encoding": "v1. + base64url without padding of the bitset's little-endian bytes (bit i = catalogue position i), "
                    "trailing zero bytes trimmed; the empty set is v1.",
        "sets": sets,
        "empty_set": {"closure": "", "encoded": "v1."},
        "invalid_encodings": [{"encoded": e, "error": "invalid_scope_encoding", "why": w} for e, w in invalid],
        "unknown_names": [
            {"names": ["repository:read"], "error": "unknown_scope"},
            {"names": ["Repository"], "error": "unknown_scope"},
            {"names": ["repository", ""], "error": "unknown_scope"},
            {"names": ["project:write"], "error": "unknown_scope", "why": "retired in 2023, not in the catalogue file"},
        ],
    }


# --------------------------------------------------------------------------- argon2

TYPES = {"argon2d": lib.Argon2_d, "argon2i": lib.Argon2_i, "argon2id": lib.Argon2_id}


def argon2_raw(alg, version, pwd, salt, t, m, p, outlen, secret=b"", ad=b""):
    out = ffi.new("uint8_t[]", outlen)
    keep = [ffi.new("uint8_t[]", x) if x else ffi.NULL for x in (pwd, salt, secret, ad)]
    ctx = ffi.new("argon2_context *", dict(
        out=out, outlen=outlen,
        pwd=keep[0], pwdlen=len(pwd), salt=keep[1], saltlen=len(salt),
        secret=keep[2], secretlen=len(secret), ad=keep[3], adlen=len(ad),
        t_cost=t, m_cost=m, lanes=p, threads=p, version=version,
        allocate_cbk=ffi.NULL, free_cbk=ffi.NULL, flags=lib.ARGON2_DEFAULT_FLAGS))
    rc = lib.argon2_ctx(ctx, TYPES[alg])
    assert rc == 0, ffi.string(lib.argon2_error_message(rc))
    return bytes(ffi.buffer(out, outlen))


def b64(raw):
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def phc(alg, version, params, salt, tag, with_v=True):
    v = "v=%d$" % version if with_v else ""
    return "$%s$%s%s$%s$%s" % (alg, v, params, b64(salt), b64(tag))


RFC = {
    # RFC 9106 section 5.1, 5.2, 5.3: tags as printed in the RFC.
    "argon2d": ("5.1", "51 2b 39 1b 6f 11 62 97 53 71 d3 09 19 73 42 94 f8 68 e3 be 39 84 f3 c1 a1 3a 4d b9 fa be 4a cb"),
    "argon2i": ("5.2", "c8 14 d9 d1 dc 7f 37 aa 13 f0 d7 7f 24 94 bd a1 c8 de 6b 01 6d d3 88 d2 99 52 a4 c4 67 2b 6c e8"),
    "argon2id": ("5.3", "0d 64 0d f5 8d 78 76 6c 08 c0 37 a3 4a 8b 53 c9 d0 1e f0 45 2d 75 b6 5e b5 25 20 e9 6b 01 e6 59"),
}


def phc_vectors():
    vectors = []
    pwd, salt, secret, ad = b"\x01" * 32, b"\x02" * 16, b"\x03" * 8, b"\x04" * 12
    for alg, (section, tag_hex) in RFC.items():
        tag = bytes.fromhex(tag_hex.replace(" ", ""))
        assert argon2_raw(alg, 0x13, pwd, salt, 3, 32, 4, 32, secret, ad) == tag
        params = "m=32,t=3,p=4,data=" + b64(ad)
        src = "RFC 9106 section %s (%s test vector), re-checked with libargon2 via argon2-cffi" % (section, alg)
        good = phc(alg, 19, params, salt, tag)
        vectors.append({"phc": good, "password_hex": pwd.hex(), "pepper_hex": secret.hex(), "expect": True, "source": src})
        vectors.append({"phc": good, "password_hex": "01" * 31 + "00", "pepper_hex": secret.hex(), "expect": False,
                        "source": src + "; last password bit flipped"})
        vectors.append({"phc": good, "password_hex": pwd.hex(), "pepper_hex": "03" * 7 + "02", "expect": False,
                        "source": src + "; last pepper (secret K) bit flipped"})
        vectors.append({"phc": good, "password_hex": pwd.hex(), "expect": False, "source": src + "; no pepper"})
        bad_tag = tag[:-1] + bytes([tag[-1] ^ 1])
        vectors.append({"phc": phc(alg, 19, params, salt, bad_tag), "password_hex": pwd.hex(), "pepper_hex": secret.hex(),
                        "expect": False, "source": src + "; last tag bit flipped"})
        vectors.append({"phc": phc(alg, 19, "m=32,t=3,p=4", salt, tag), "password_hex": pwd.hex(),
                        "pepper_hex": secret.hex(), "expect": False, "source": src + "; associated data dropped"})

    ref = "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"
    assert phc("argon2i", 19, "m=65536,t=2,p=4", b"somesalt",
               argon2_raw("argon2i", 0x13, b"password", b"somesalt", 2, 65536, 4, 24)) == ref
    vectors.append({"phc": ref, "password": "password", "expect": True,
                    "source": "phc-winner-argon2 README: echo -n \"password\" | ./argon2 somesalt -t 2 -m 16 -p 4 -l 24"})
    vectors.append({"phc": ref, "password": "Password", "expect": False, "source": "the README vector, wrong password"})
    ref10 = "$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ"
    assert phc("argon2i", 16, "m=65536,t=2,p=1", b"somesalt",
               argon2_raw("argon2i", 0x10, b"password", b"somesalt", 2, 65536, 1, 32), with_v=False) == ref10
    vectors.append({"phc": ref10, "password": "password", "expect": True,
                    "source": "phc-winner-argon2 src/test.c, version 0x10 (written without v=)"})
    ref13 = "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA"
    assert phc("argon2i", 19, "m=65536,t=2,p=1", b"somesalt",
               argon2_raw("argon2i", 0x13, b"password", b"somesalt", 2, 65536, 1, 32)) == ref13
    vectors.append({"phc": ref13, "password": "password", "expect": True,
                    "source": "phc-winner-argon2 src/test.c, version 0x13"})

    cffi = "argon2-cffi 25.1.0 (libargon2) via tests/vectors/generate.py"
    salt16 = bytes(range(16))
    light = [
        ("argon2id", 19, 64, 1, 1, "correct horse battery staple", 32),
        ("argon2id", 19, 64, 2, 2, "apw_0123456789ABcdefghijklmnopqrstuvwxyz0123456789", 32),
        ("argon2d", 19, 32, 2, 1, "password", 32),
        ("argon2i", 19, 32, 3, 1, "p\u00e4ssw\u00f6rd \u2603", 16),
        ("argon2id", 16, 64, 1, 1, "version sixteen", 32),
        ("argon2id", 19, 1024, 1, 1, "the light app-password profile", 32),
    ]
    for alg, version, m, t, p, password, outlen in light:
        tag = argon2_raw(alg, version, password.encode(), salt16, t, m, p, outlen)
        s = phc(alg, version, "m=%d,t=%d,p=%d" % (m, t, p), salt16, tag)
        vectors.append({"phc": s, "password": password, "expect": True, "source": cffi})
        vectors.append({"phc": s, "password": password + " ", "expect": False, "source": cffi + "; wrong password"})
    # Variants of one hash: parameter order, no v= for version 16, padding, other salt/tag lengths.
    tag = argon2_raw("argon2id", 0x13, b"order", salt16, 2, 64, 1, 32)
    vectors.append({"phc": "$argon2id$v=19$t=2,p=1,m=64$%s$%s" % (b64(salt16), b64(tag)), "password": "order",
                    "expect": True, "source": cffi + "; parameters written in the order t, p, m"})
    vectors.append({"phc": "$argon2id$v=19$p=1,m=64,t=2$%s$%s" % (b64(salt16), b64(tag)), "password": "order",
                    "expect": True, "source": cffi + "; parameters written in the order p, m, t"})
    vectors.append({"phc": "$argon2id$v=19$m=64,t=2,p=1$%s$%s" % (base64.b64encode(salt16).decode(),
                                                              base64.b64encode(tag).decode()),
                    "password": "order", "expect": True, "source": cffi + "; salt and tag with base64 padding"})
    vectors.append({"phc": "$argon2id$v=19$m=64,t=2,p=1$%s$%s" % (b64(salt16), b64(tag)), "password": "Order",
                    "expect": False, "source": cffi + "; wrong password"})
    vectors.append({"phc": "$argon2id$v=19$m=64,t=1,p=1$%s$%s" % (b64(salt16), b64(tag)), "password": "order",
                    "expect": False, "source": cffi + "; t changed from 2 to 1"})
    vectors.append({"phc": "$argon2i$v=19$m=64,t=2,p=1$%s$%s" % (b64(salt16), b64(tag)), "password": "order",
                    "expect": False, "source": cffi + "; algorithm changed from argon2id to argon2i"})
    vectors.append({"phc": "$argon2id$v=16$m=64,t=2,p=1$%s$%s" % (b64(salt16), b64(tag)), "password": "order",
                    "expect": False, "source": cffi + "; version changed from 19 to 16"})
    tag16 = argon2_raw("argon2id", 0x10, b"no version", salt16, 1, 64, 1, 32)
    vectors.append({"phc": "$argon2id$m=64,t=1,p=1$%s$%s" % (b64(salt16), b64(tag16)), "password": "no version",
                    "expect": True, "source": cffi + "; version 0x10 written without v= (libargon2 before 20160406 wrote it so)"})
    vectors.append({"phc": "$argon2id$v=16$m=64,t=1,p=1$%s$%s" % (b64(salt16), b64(tag16)), "password": "no version",
                    "expect": True, "source": cffi + "; the same hash with an explicit v=16"})
    vectors.append({"phc": "$argon2id$v=19$m=64,t=1,p=1$%s$%s" % (b64(salt16), b64(tag16)), "password": "no version",
                    "expect": False, "source": cffi + "; a version 0x10 tag read as v=19"})
    salt8 = b"saltsalt"
    tag64 = argon2_raw("argon2id", 0x13, b"long tag", salt8, 1, 16, 2, 64)
    vectors.append({"phc": phc("argon2id", 19, "m=16,t=1,p=2", salt8, tag64), "password": "long tag", "expect": True,
                    "source": cffi + "; 8-byte salt, 64-byte tag"})
    pepper = b"host pepper, kept out of the store"
    tagp = argon2_raw("argon2id", 0x13, b"peppered", salt16, 1, 64, 1, 32, secret=pepper)
    sp = phc("argon2id", 19, "m=64,t=1,p=1", salt16, tagp)
    vectors.append({"phc": sp, "password": "peppered", "pepper_hex": pepper.hex(), "expect": True, "source": cffi + "; secret K (pepper)"})
    vectors.append({"phc": sp, "password": "peppered", "expect": False, "source": cffi + "; pepper missing"})

    big = "$argon2id$v=19$m=64,t=1,p=1$%s$%s" % (b64(salt16), b64(tag))
    invalid = [
        ("", "empty"),
        ("argon2id$v=19$m=64,t=1,p=1$%s$%s" % (b64(salt16), b64(tag)), "no leading $"),
        ("$argon2x$v=19$m=64,t=1,p=1$%s$%s" % (b64(salt16), b64(tag)), "unknown algorithm"),
        ("$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E", "not Argon2"),
        ("$2b$12$GhvMmNVjRW29ulnudl.LbuAnUtN/LRfe1JsBm1Xu6LE3059z5Tr8m", "bcrypt"),
        ("$argon2id$v=18$m=64,t=1,p=1$%s$%s" % (b64(salt16), b64(tag)), "unsupported version 18"),
        ("$argon2id$v=19$m=64,t=1$%s$%s" % (b64(salt16), b64(tag)), "missing p"),
        ("$argon2id$v=19$m=64,t=1,p=1,t=1$%s$%s" % (b64(salt16), b64(tag)), "repeated t"),
        ("$argon2id$v=19$m=64,t=1,p=1,x=1$%s$%s" % (b64(salt16), b64(tag)), "unknown parameter"),
        ("$argon2id$v=19$m=64,t=-1,p=1$%s$%s" % (b64(salt16), b64(tag)), "negative t"),
        ("$argon2id$v=19$m=4294967295,t=1,p=1$%s$%s" % (b64(salt16), b64(tag)), "m beyond our 256 MiB bound (would be 4 TiB)"),
        ("$argon2id$v=19$m=64,t=1,p=0$%s$%s" % (b64(salt16), b64(tag)), "p=0"),
        ("$argon2id$v=19$m=64,t=0,p=1$%s$%s" % (b64(salt16), b64(tag)), "t=0"),
        ("$argon2id$v=19$m=7,t=1,p=1$%s$%s" % (b64(salt16), b64(tag)), "m below 8 x p"),
        ("$argon2id$v=19$m=64,t=1,p=1$%s" % b64(salt16), "missing hash"),
        (big + "$extra", "trailing field"),
        ("$argon2id$v=19$m=64,t=1,p=1$c2FsdA$%s" % b64(tag), "4-byte salt"),
        ("$argon2id$v=19$m=64,t=1,p=1$%s$AAA" % b64(salt16), "2-byte hash"),
        ("$argon2id$v=19$m=64,t=1,p=1$%s$%s" % (b64(salt16), b64(tag).replace(b64(tag)[3], "*")), "bad base64 in the hash"),
        ("$argon2id$v=19$m=64,t=1,p=1$" + "A" * 600 + "$" + b64(tag), "longer than 512 characters"),
    ]
    return {
        "source": "RFC 9106 section 5 test vectors; the reference implementation's (phc-winner-argon2) README and test.c; "
                  "and hashes computed with argon2-cffi 25.1.0 (libargon2, an implementation independent of the Rust "
                  "argon2 crate) by tests/vectors/generate.py. Each vector names its own source.",
        "fields": "phc: the PHC string; password (UTF-8 text) or password_hex (bytes); pepper_hex: Argon2 secret input K, "
                  "absent = none; expect: whether verification succeeds",
        "vectors": vectors,
        "invalid": [{"phc": s, "error": "invalid_hash", "why": w} for s, w in invalid],
    }


# --------------------------------------------------------------------------- records

def record_json(rec):
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":"))


def record_vectors():
    catalog = load_catalog()
    pos = {s["name"]: i for i, s in enumerate(catalog)}

    def enc(names):
        return encode_positions([pos[n] for n in closure_of(catalog, names)])

    salt = bytes(range(100, 116))

    def make(seed, user, label, scopes, created, expires, alg="argon2id", version=19, m=64, t=1, p=1, pepper=b"",
             with_v=True):
        pw = generate("apw", SplitMix64(seed))
        tag = argon2_raw(alg, version, pw.encode(), salt, t, m, p, 32, secret=pepper)
        rec = {"v": 1, "id": pw[4:16], "user": user, "label": label, "scopes": enc(scopes),
               "hash": phc(alg, version, "m=%d,t=%d,p=%d" % (m, t, p), salt, tag, with_v=with_v),
               "createdAt": created, "expiresAt": expires}
        return pw, rec

    def wrong_secret(pw):
        head = pw[:-CHECK_LEN]
        i = 20
        c = "A" if head[i] != "A" else "B"
        return with_fixed_check(head[:i] + c + head[i + 1:])

    T0 = 1700000000000
    verifiable = []
    pw1, r1 = make(101, "alice", "CI deploy", ["pullrequest:write"], T0, None)
    ok1 = {"ok": True, "user": "alice", "id": r1["id"], "label": "CI deploy",
           "scopes": closure_of(catalog, ["pullrequest:write"])}
    verifiable.append({
        "why": "argon2id v=19 record at the service's profile",
        "config": {"hashing": {"memoryKiB": 64, "iterations": 1, "parallelism": 1}},
        "password": pw1, "record": record_json(r1), "upgrades": False,
        "checks": [
            {"now": T0 + 1, "username": "alice", "password": pw1, "require": ["repository:write"], "purpose": "api", "expect": ok1},
            {"now": T0 + 1, "username": "alice", "password": pw1, "require": [], "purpose": "api", "expect": ok1},
            {"now": T0 + 1, "username": "alice", "password": pw1, "require": ["pullrequest", "repository"], "purpose": "api", "expect": ok1},
            {"now": T0 + 1, "username": "alice", "password": pw1, "require": [], "purpose": "login",
             "expect": {"ok": False, "status": 403, "code": "login_not_allowed", "reason": "login_refused"}},
            {"now": T0 + 1, "username": "bob", "password": pw1, "require": [], "purpose": "api",
             "expect": {"ok": False, "status": 401, "code": "invalid_credentials", "reason": "wrong_user"}},
            {"now": T0 + 1, "username": "Alice", "password": pw1, "require": [], "purpose": "api",
             "expect": {"ok": False, "status": 401, "code": "invalid_credentials", "reason": "wrong_user"}},
            {"now": T0 + 1, "username": "alice", "password": wrong_secret(pw1), "require": [], "purpose": "api",
             "expect": {"ok": False, "status": 401, "code": "invalid_credentials", "reason": "wrong_secret"}},
            {"now": T0 + 1, "username": "alice", "password": generate("apw", SplitMix64(999)), "require": [], "purpose": "api",
             "expect": {"ok": False, "status": 401, "code": "invalid_credentials", "reason": "unknown_id"}},
            {"now": T0 + 1, "username": "alice", "password": pw1[:-1], "require": [], "purpose": "api",
             "expect": {"ok": False, "status": 401, "code": "invalid_credentials", "reason": "wrong_length"}},
            {"now": T0 + 1, "username": "alice", "password": "xyz" + pw1[3:], "require": [], "purpose": "api",
             "expect": {"ok": False, "status": 401, "code": "invalid_credentials", "reason": "wrong_prefix"}},
            {"now": T0 + 1, "username": "alice", "password": pw1[:-1] + ("0" if pw1[-1] != "0" else "1"), "require": [], "purpose": "api",
             "expect": {"ok": False, "status": 401, "code": "invalid_credentials", "reason": "bad_checksum"}},
            {"now": T0 + 1, "username": "alice", "password": pw1[:10] + "!" + pw1[11:], "require": [], "purpose": "api",
             "expect": {"ok": False, "status": 401, "code": "invalid_credentials", "reason": "bad_alphabet"}},
            {"now": T0 + 1, "username": "alice", "password": pw1, "require": ["workspace:admin"], "purpose": "api",
             "expect": {"ok": False, "status": 403, "code": "not_allowed_for_app_passwords", "reason": "scope_not_grantable",
                        "missing": ["workspace:admin"]}},
            {"now": T0 + 1, "username": "alice", "password": pw1, "require": ["issue", "repository:admin", "repository"], "purpose": "api",
             "expect": {"ok": False, "status": 403, "code": "insufficient_scope", "reason": "missing_scopes",
                        "missing": ["repository:admin", "issue"]}},
        ],
    })
    pw2, r2 = make(102, "bob@example.com", "expiring \u00e9t\u00e9 \U0001F511", ["issue:write"], T0, T0 + 86400000)
    ok2 = {"ok": True, "user": "bob@example.com", "id": r2["id"], "label": r2["label"], "scopes": ["issue", "issue:write"]}
    verifiable.append({
        "why": "a record with an expiry; user and label outside ASCII-alphanumerics",
        "config": {"hashing": {"memoryKiB": 64, "iterations": 1, "parallelism": 1}},
        "password": pw2, "record": record_json(r2), "upgrades": False,
        "checks": [
            {"now": T0 + 86400000 - 1, "username": "bob@example.com", "password": pw2, "require": ["issue"], "purpose": "api", "expect": ok2},
            {"now": T0 + 86400000, "username": "bob@example.com", "password": pw2, "require": ["issue"], "purpose": "api",
             "expect": {"ok": False, "status": 401, "code": "invalid_credentials", "reason": "expired"}},
            {"now": T0 + 86400000 + 5, "username": "bob@example.com", "password": pw2, "require": [], "purpose": "login",
             "expect": {"ok": False, "status": 401, "code": "invalid_credentials", "reason": "expired"}},
        ],
    })
    pw3, r3 = make(103, "carol", "old argon2i record", ["repository"], T0, None, alg="argon2i", version=16, m=32, t=2, p=2,
                   with_v=False)
    ok3 = {"ok": True, "user": "carol", "id": r3["id"], "label": r3["label"], "scopes": ["repository"]}
    verifiable.append({
        "why": "an argon2i, version 0x10 hash written without v= (as other libraries write it): verifies, and is re-hashed "
               "to the service's argon2id v=19 profile",
        "config": {"hashing": {"memoryKiB": 64, "iterations": 1, "parallelism": 1}},
        "password": pw3, "record": record_json(r3), "upgrades": True,
        "checks": [
            {"now": T0 + 1, "username": "carol", "password": pw3, "require": ["repository"], "purpose": "api", "expect": ok3},
            {"now": T0 + 2, "username": "carol", "password": pw3, "require": ["repository"], "purpose": "api", "expect": ok3},
        ],
    })
    pepper = b"pepper-from-the-host-env"
    assert pepper[:-1] + b"V" != pepper
    pw4, r4 = make(104, "dave", "peppered", ["snippet:write"], T0, None, pepper=pepper)
    ok4 = {"ok": True, "user": "dave", "id": r4["id"], "label": "peppered", "scopes": ["snippet", "snippet:write"]}
    verifiable.append({
        "why": "hash computed with a pepper (Argon2 secret K): verifies with that pepper",
        "config": {"hashing": {"memoryKiB": 64, "iterations": 1, "parallelism": 1}, "pepper_hex": pepper.hex()},
        "password": pw4, "record": record_json(r4), "upgrades": False,
        "checks": [
            {"now": T0 + 1, "username": "dave", "password": pw4, "require": ["snippet"], "purpose": "api", "expect": ok4},
        ],
    })
    for cfg, why in [({"hashing": {"memoryKiB": 64, "iterations": 1, "parallelism": 1}}, "without the pepper"),
                     ({"hashing": {"memoryKiB": 64, "iterations": 1, "parallelism": 1}, "pepper_hex": (pepper[:-1] + b"V").hex()},
                      "with another pepper")]:
        verifiable.append({
            "why": "the peppered record " + why + ": the secret does not match",
            "config": cfg, "password": pw4, "record": record_json(r4), "upgrades": False,
            "checks": [{"now": T0 + 1, "username": "dave", "password": pw4, "require": [], "purpose": "api",
                        "expect": {"ok": False, "status": 401, "code": "invalid_credentials", "reason": "wrong_secret"}}],
        })

    # Records that parse; expected field values.
    valid = []
    for rec, why in [(r1, "no expiry"), (r2, "expiry, non-ASCII label and user"), (r3, "argon2i hash")]:
        valid.append({"id": rec["id"], "json": record_json(rec), "canonical": True, "expect": rec, "why": why})
    spaced = json.dumps(r1, indent=2)
    valid.append({"id": r1["id"], "json": spaced, "canonical": False, "expect": r1, "why": "pretty-printed"})
    reordered = {k: r1[k] for k in reversed(list(r1))}
    valid.append({"id": r1["id"], "json": record_json(reordered), "canonical": False, "expect": r1, "why": "fields in reverse order"})

    def variant(**changes):
        rec = dict(r1)
        for k, val in changes.items():
            if val is DROP:
                rec.pop(k)
            else:
                rec[k] = val
        return record_json(rec)

    invalid = [
        (r1["id"], "not json", "not JSON"),
        (r1["id"], "", "empty value"),
        (r1["id"], "[]", "an array"),
        (r1["id"], "null", "null"),
        (r1["id"], record_json(r1)[:-1], "truncated"),
        (r1["id"], variant(v=2), "unknown format version"),
        (r1["id"], variant(v=0), "format version 0"),
        ("ZZZZZZZZZZZZ", record_json(r1), "record stored under another id"),
        (r1["id"], variant(user="al:ice"), "username with a colon"),
        (r1["id"], variant(user=""), "empty username"),
        (r1["id"], variant(user="a\u0000b"), "control character in username"),
        (r1["id"], variant(user="u" * 129), "username longer than 128 bytes"),
        (r1["id"], variant(hash=DROP), "missing hash"),
        (r1["id"], variant(scopes=DROP), "missing scopes"),
        (r1["id"], variant(createdAt=DROP), "missing createdAt"),
        (r1["id"], variant(createdAt=-1), "negative createdAt"),
        (r1["id"], variant(createdAt=1.5), "fractional createdAt"),
        (r1["id"], variant(createdAt="1700000000000"), "createdAt as a string"),
        (r1["id"], variant(hash=12), "hash as a number"),
        (r1["id"], variant(admin=True), "unknown field"),
        (r1["id"], variant(created_at=T0), "snake_case field name"),
    ]
    # Records that parse but fail when used: verify must fail closed (store_corrupt), never grant.
    corrupt_at_use = [
        (variant(hash="not a phc string"), "hash is not a PHC string"),
        (variant(hash=r1["hash"].replace("m=64", "m=4294967295")), "hash parameters beyond bounds"),
        (variant(hash=r1["hash"].replace("$argon2id$", "$argon2x$")), "unknown algorithm in hash"),
        (variant(hash=""), "empty hash"),
        (variant(scopes="v2.AQ"), "unknown scope encoding version"),
        (variant(scopes="v1.AQA"), "scopes with a trailing zero byte"),
        (variant(scopes="v1." + b64url((1 << 30).to_bytes(4, "little"))), "scope bit beyond the catalogue"),
        (variant(scopes="repository"), "scopes in text form instead of the encoding"),
    ]
    keys = [
        {"kind": "record", "id": r1["id"], "key": "app-passwords/v1/record/" + r1["id"]},
        {"kind": "tombstone", "id": r1["id"], "key": "app-passwords/v1/revoked/" + r1["id"]},
    ]
    for user, enc_user in [("alice", "alice"), ("bob@example.com", "bob%40example.com"), ("a b", "a%20b"),
                           ("A-Z.a_z~09", "A-Z.a_z~09"), ("j\u00fcrgen", "j%C3%BCrgen"), ("50%", "50%25"),
                           ("a/b", "a%2Fb")]:
        keys.append({"kind": "index", "user": user, "id": r1["id"],
                     "key": "app-passwords/v1/user/%s/%s" % (enc_user, r1["id"]),
                     "user_prefix": "app-passwords/v1/user/%s/" % enc_user})
    return {
        "source": "Generated by tests/vectors/generate.py: record JSON written by Python json.dumps in the documented v1 "
                  "shape; passwords from the SplitMix64 generator of passwords.json; hashes computed with argon2-cffi "
                  "25.1.0 (libargon2); expected verify results derived from docs/design.md#order-of-checks. Not produced by the Rust crate.",
        "shape": "{v: 1, id, user, label, scopes (v1. encoding of the closed set), hash (PHC), createdAt, expiresAt (epoch ms "
                 "or null)}; index entry {v: 1, lastUsedAt}; keys under app-passwords/v1/",
        "valid": valid,
        "invalid": [{"id": i, "json": j, "error": "store_corrupt", "why": w} for i, j, w in invalid],
        "corrupt_at_use": [{"id": r1["id"], "json": j, "password": pw1, "user": "alice",
                            "config": {"hashing": {"memoryKiB": 64, "iterations": 1, "parallelism": 1}},
                            "error": "store_corrupt", "why": w} for j, w in corrupt_at_use],
        "verifiable": verifiable,
        "index_entries": {
            "valid": [{"json": '{"v":1,"lastUsedAt":null}', "lastUsedAt": None},
                      {"json": '{"v":1,"lastUsedAt":1700000000123}', "lastUsedAt": 1700000000123},
                      {"json": '{"lastUsedAt":5,"v":1}', "lastUsedAt": 5}],
            "invalid": [{"json": j, "error": "store_corrupt"} for j in
                        ['{"v":2,"lastUsedAt":null}', '{"v":1,"lastUsedAt":-3}', 'nope', '{"v":1,"lastUsedAt":null,"x":1}']],
        },
        "keys": keys,
    }


DROP = object()


def write(name, data):
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
        f.write("\n")


if __name__ == "__main__":
    write("passwords.json", password_vectors())
    write("scopes.json", scope_vectors())
    write("phc.json", phc_vectors())
    write("records.json", record_vectors())
    print("wrote passwords.json, scopes.json, phc.json, records.json")
