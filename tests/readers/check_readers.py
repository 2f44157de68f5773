#!/usr/bin/env python3
"""Reads a database esescope wrote with two independent readers, dissect.esedb
and libesedb-python (pyesedb), and compares what they find with what the
writer meant.

usage: check_readers.py EXPECTED.json DATABASE [--dissect-only]

EXPECTED.json is what the writer meant for the user tables: names, columns
(name, JET_coltyp code, code page, whether fixed), the primary key columns,
the indexes (name, columns, all ascending or not) and the rows, each cell
the hex of the bytes the value is stored as (null for NULL). Every user table must be found by both readers with the same
columns, the same number of rows and the same value in every cell; with
dissect, every ascending index must also find every row by searching it
(this walks the internal pages and their separator keys). --dissect-only
skips pyesedb, for column types libesedb does not support (UnsignedLongLong).

Prints one line per check and exits 1 on the first table with a mismatch
(after reporting all of them), 2 when a reader is missing or fails.
"""

import json
import struct
import sys
import uuid

try:
    import pyesedb
    from dissect.esedb import EseDB
except ImportError as error:  # the Rust test decides whether that is fatal
    print(f"missing reader: {error}")
    sys.exit(2)

# struct formats of the fixed-size types, by JET_coltyp code
FORMATS = {2: "<B", 3: "<h", 4: "<i", 5: "<q", 6: "<f", 7: "<d", 8: "<d", 14: "<I", 15: "<q", 17: "<H", 18: "<Q"}
BIT, DATE_TIME, GUID, TEXT_TYPES = 1, 8, 16, (10, 12)


def expected_bytes(column, value):
    """The stored bytes the writer meant for one cell (None for NULL)."""
    return None if value is None else bytes.fromhex(value)


def dissect_bytes(column, value):
    """A value as dissect.esedb returns it, turned back into stored bytes."""
    if value is None:
        return None
    coltyp = column["coltyp"]
    if coltyp == BIT:
        return b"\xff" if value else b"\x00"
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, uuid.UUID):
        return value.bytes_le
    if isinstance(value, str):
        if coltyp == GUID:
            return uuid.UUID(value).bytes_le
        return value.encode("utf-16-le" if column["code_page"] == 1200 else "latin-1")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if coltyp == DATE_TIME and isinstance(value, int):
        return struct.pack("<Q", value)
    if coltyp == DATE_TIME and isinstance(value, float):
        return struct.pack("<d", value)
    return struct.pack(FORMATS[coltyp], value)


def pyesedb_bytes(record, index):
    """A cell as pyesedb stores it: raw bytes, long values resolved."""
    if record.is_long_value(index):
        long_value = record.get_value_data_as_long_value(index)
        return None if long_value is None else long_value.get_data()
    data = record.get_value_data(index)
    return data


def key_of(table, row):
    cols = [c["name"] for c in table["columns"]]
    return tuple(expected_bytes(None, row[cols.index(name)]) for name in table["primary"])


def check(expected_tables, path, use_pyesedb):
    failures = []

    def fail(message):
        failures.append(message)
        print(f"MISMATCH {message}")

    dissect_db = EseDB(open(path, "rb"))
    py_db = pyesedb.file()
    py_db.open(path)
    want_names = [t["name"] for t in expected_tables]
    dissect_names = [t.name for t in dissect_db.tables()]
    py_names = [py_db.get_table(i).name for i in range(py_db.number_of_tables)]
    readers = [("dissect", dissect_names)] + ([("pyesedb", py_names)] if use_pyesedb else [])
    for reader, names in readers:
        user = [n for n in names if not n.startswith("MSys")]
        if sorted(user) != sorted(want_names):
            fail(f"{reader}: tables {user}, expected {want_names}")
    for table in expected_tables:
        name = table["name"]
        columns = table["columns"]
        want = {key_of(table, row): row for row in table["rows"]}
        # dissect
        d_table = dissect_db.table(name)
        d_columns = {c.name: int(c.type) for c in d_table.columns}
        for column in columns:
            if d_columns.get(column["name"]) != column["coltyp"]:
                fail(f"dissect {name}: column {column['name']} has type {d_columns.get(column['name'])}")
        d_rows = list(d_table.records())
        if len(d_rows) != len(want):
            fail(f"dissect {name}: {len(d_rows)} rows, expected {len(want)}")
        seen = set()
        for record in d_rows:
            got = {c["name"]: dissect_bytes(c, record.get(c["name"])) for c in columns}
            key = tuple(got[s] for s in table["primary"])
            seen.add(key)
            row = want.get(key)
            if row is None:
                fail(f"dissect {name}: unexpected row with key {key}")
                continue
            for column, value in zip(columns, row):
                if got[column["name"]] != expected_bytes(column, value):
                    fail(f"dissect {name} {key}: {column['name']} = {got[column['name']]!r}, "
                         f"expected {expected_bytes(column, value)!r}")
        if seen != set(want):
            fail(f"dissect {name}: rows missing: {len(set(want) - seen)}")
        # dissect index searches (ascending indexes only; dissect does not
        # implement descending segments)
        searched = 0
        for index_def in table["indexes"]:
            if not index_def["ascending"]:
                continue
            index = d_table.index(index_def["name"])
            for record in d_rows:
                values = {s: record.get(s) for s in index_def["columns"]}
                # dissect encodes a zero-length value as 7f 40; the engine
                # (and esescope's writer, spec 11) as 40 alone: not searchable.
                if any(v in ("", b"") for v in values.values()):
                    continue
                found = index.search(**values)
                if found is None or any(found.get(s) != v for s, v in values.items()):
                    fail(f"dissect {name}: index {index_def['name']} does not find {values}")
                    break
                searched += 1
        if not use_pyesedb:
            print(f"table {name}: {len(want)} rows, {len(columns)} columns, {searched} index searches checked")
            continue
        # pyesedb
        p_table = py_db.get_table_by_name(name)
        p_columns = {p_table.get_column(i).name: (i, p_table.get_column(i).type)
                     for i in range(p_table.number_of_columns)}
        for column in columns:
            if p_columns.get(column["name"], (0, None))[1] != column["coltyp"]:
                fail(f"pyesedb {name}: column {column['name']} type {p_columns.get(column['name'])}")
        if p_table.number_of_records != len(want):
            fail(f"pyesedb {name}: {p_table.number_of_records} rows, expected {len(want)}")
        seen = set()
        for r in range(p_table.number_of_records):
            record = p_table.get_record(r)
            got = {}
            for column in columns:
                data = pyesedb_bytes(record, p_columns[column["name"]][0])
                # pyesedb gives b"" or None for a NULL tagged column
                got[column["name"]] = data
            # pyesedb reads a zero-length key value as None
            key = tuple(b"" if got[s] is None else got[s] for s in table["primary"])
            seen.add(key)
            row = want.get(key)
            if row is None:
                fail(f"pyesedb {name}: unexpected row with key {key}")
                continue
            for column, value in zip(columns, row):
                expect = expected_bytes(column, value)
                have = got[column["name"]]
                # pyesedb returns the stored bytes of a NULL fixed column (it
                # does not read the null bitmap; it does the same on files
                # Windows wrote), and b"" for an absent tagged column.
                if expect is None and (have in (None, b"") or column["fixed"]):
                    continue
                # ... and None for a zero-length (not NULL) value.
                if expect == b"" and have is None:
                    continue
                if have != expect:
                    fail(f"pyesedb {name} {key}: {column['name']} = {have!r}, expected {expect!r}")
        if seen != set(want):
            fail(f"pyesedb {name}: rows missing: {len(set(want) - seen)}")
        print(f"table {name}: {len(want)} rows, {len(columns)} columns, {searched} index searches checked")
    return failures


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[3:] not in ([], ["--dissect-only"]):
        print(__doc__)
        return 2
    with open(sys.argv[1], encoding="utf-8") as handle:
        expected = json.load(handle)
    try:
        failures = check(expected, sys.argv[2], sys.argv[3:] == [])
    except Exception as error:  # a reader that crashes is a failure too
        print(f"reader failed: {type(error).__name__}: {error}")
        return 2
    print("ok" if not failures else f"{len(failures)} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
