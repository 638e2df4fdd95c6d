#!/usr/bin/env python3
"""Small data chores for the deploy scripts (standard library only):

  zip-normalize ZIP                 rewrite a zip reproducibly (sorted, fixed times and modes)
  zip-check ZIP ARCH                check a function zip, print its facts as shell assignments
  zip-add ZIP OUT NAME TEXT         a copy of ZIP with one more file (reproducibly)
  delete-batch                      list-object-versions JSON (stdin) -> delete-objects JSON
  change-table                      describe-change-set JSON (stdin) -> a readable table
"""

import base64
import hashlib
import json
import shlex
import sys
import zipfile

# Lambda's limits for a zip uploaded through S3.
ZIP_LIMIT = 50 * 1024 * 1024
UNZIPPED_LIMIT = 250 * 1024 * 1024
# ELF e_machine values.
ELF_MACHINES = {0x3E: "x86_64", 0xB7: "arm64"}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def write_zip(path, entries):
    """entries: {name: bytes}. Sorted, fixed timestamps, 0755 for bootstrap, 0644 otherwise."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.create_system = 3
            mode = 0o755 if name == "bootstrap" else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, entries[name], compresslevel=9)


def read_zip(path):
    with zipfile.ZipFile(path) as archive:
        return {
            info.filename: archive.read(info)
            for info in archive.infolist()
            if not info.is_dir()
        }


def zip_normalize(path):
    entries = read_zip(path)
    tmp = path + ".tmp"
    write_zip(tmp, entries)
    import os

    os.replace(tmp, path)


def zip_check(path, arch):
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            names = {info.filename: info for info in infos}
            if "bootstrap" not in names:
                fail(f"{path}: no `bootstrap` at the root of the zip")
            bootstrap = archive.read("bootstrap")
            if "target/site/hash.txt" not in names:
                fail(f"{path}: no target/site/hash.txt: the site is not in the zip")
            mode = (names["bootstrap"].external_attr >> 16) & 0o777
    except (OSError, zipfile.BadZipFile) as error:
        fail(f"{path}: not a readable zip: {error}")
    if bootstrap[:4] != b"\x7fELF" or len(bootstrap) < 20:
        fail(f"{path}: bootstrap is not an ELF executable")
    machine = ELF_MACHINES.get(int.from_bytes(bootstrap[18:20], "little"), "unknown")
    if machine != arch:
        fail(f"{path}: bootstrap is built for {machine}, but {arch} is needed")
    if mode & 0o111 == 0:
        fail(f"{path}: bootstrap is not executable in the zip (mode {mode:o})")
    with open(path, "rb") as handle:
        data = handle.read()
    digest = hashlib.sha256(data).digest()
    unzipped = sum(info.file_size for info in infos)
    site = [info for info in infos if info.filename.startswith("target/site/")]
    if len(data) > ZIP_LIMIT:
        fail(f"{path}: {len(data)} bytes, over Lambda's 50 MB limit for a zip")
    if unzipped > UNZIPPED_LIMIT:
        fail(f"{path}: {unzipped} bytes unzipped, over Lambda's 250 MB limit")
    facts = {
        "ZIP_SHA256": digest.hex(),
        # What Lambda reports as CodeSha256.
        "ZIP_SHA256_B64": base64.b64encode(digest).decode(),
        "ZIP_BYTES": len(data),
        "ZIP_UNZIPPED_BYTES": unzipped,
        "ZIP_BOOTSTRAP_BYTES": len(bootstrap),
        "ZIP_SITE_BYTES": sum(info.file_size for info in site),
        "ZIP_SITE_FILES": len(site),
        "ZIP_ARCH": machine,
    }
    for name, value in facts.items():
        print(f"{name}={shlex.quote(str(value))}")


def zip_add(path, out, name, text):
    entries = read_zip(path)
    entries[name] = text.encode()
    write_zip(out, entries)


def delete_batch():
    listing = json.load(sys.stdin) if not sys.stdin.isatty() else {}
    objects = [
        {"Key": item["Key"], "VersionId": item["VersionId"]}
        for kind in ("Versions", "DeleteMarkers")
        for item in (listing.get(kind) or [])
    ][:1000]
    if objects:
        print(json.dumps({"Objects": objects, "Quiet": True}))


def change_table():
    changes = json.load(sys.stdin).get("Changes") or []
    rows = [("action", "resource", "type", "replacement", "what changes")]
    for change in changes:
        resource = change.get("ResourceChange") or {}
        targets = sorted(
            {
                (detail.get("Target") or {}).get("Name")
                or (detail.get("Target") or {}).get("Attribute")
                or ""
                for detail in resource.get("Details") or []
            }
            - {""}
        )
        rows.append(
            (
                resource.get("Action", ""),
                resource.get("LogicalResourceId", ""),
                resource.get("ResourceType", ""),
                resource.get("Replacement") or "-",
                ", ".join(targets) or "-",
            )
        )
    if len(rows) == 1:
        print("    (no resource changes)")
        return
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("    " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])


def main(argv):
    if not argv:
        fail(__doc__.strip())
    command, args = argv[0], argv[1:]
    commands = {
        "zip-normalize": (zip_normalize, 1),
        "zip-check": (zip_check, 2),
        "zip-add": (zip_add, 4),
        "delete-batch": (delete_batch, 0),
        "change-table": (change_table, 0),
    }
    if command in commands and len(args) == commands[command][1]:
        commands[command][0](*args)
    else:
        fail(__doc__.strip())


if __name__ == "__main__":
    main(sys.argv[1:])
