#!/usr/bin/env python3
"""Reads every table of an ESE database with two independent readers,
dissect.esedb and libesedb (pyesedb), and prints their rows as JSON in the
canonical form the esescope cross-check test compares with (tests/it/crosscheck.rs):

  null; true/false; integers; "f32:<hex of the 4 little-endian bytes>";
  "f64:<hex of 8 bytes>"; DateTime as "YYYY-MM-DDTHH:MM:SS.mmmZ" (OLE date,
  UTC) or "f64:<hex>" outside years 1-9999; GUIDs as 8-4-4-4-12 lowercase;
  text as a string without trailing NULs; binary as lowercase hex; a
  multi-value as a list; a value a reader cannot decode as {"error": "..."}.

Usage: readers.py DATABASE  ->  {"dissect": {...}, "pyesedb": {...}}
"""
import datetime
import json
import math
import struct
import sys

TEXT, LONG_TEXT, BINARY, LONG_BINARY = 10, 12, 9, 11


def ole_date(days):
    if not math.isfinite(days) or not (-657434.0 <= days < 2958466.0):
        return "f64:" + struct.pack("<d", days).hex()
    whole = math.trunc(days)
    ms = math.floor(abs(days - whole) * 86400000.0 + 0.5)
    if ms >= 86400000:
        ms -= 86400000
        whole += -1 if days < 0 else 1
    moment = datetime.datetime(1899, 12, 30) + datetime.timedelta(days=whole, milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def typed(coltyp, value):
    """dissect's parsed value (or bytes) -> canonical JSON."""
    if value is None:
        return None
    if isinstance(value, list):
        return [typed(coltyp, v) for v in value]
    if coltyp == 6:
        return "f32:" + struct.pack("<f", value).hex()
    if coltyp == 7:
        return "f64:" + struct.pack("<d", value).hex()
    if coltyp == 8:
        if isinstance(value, int):
            value = struct.unpack("<d", struct.pack("<q", value))[0]
        return ole_date(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, bool) or isinstance(value, int) or isinstance(value, str):
        return value
    if isinstance(value, float):
        return "f64:" + struct.pack("<d", value).hex()
    return str(value)


def from_bytes(coltyp, codepage, data):
    """Raw value bytes (as pyesedb gives them) -> canonical JSON."""
    if data is None:
        return None
    fmt = {1: "<B", 2: "<B", 3: "<h", 4: "<i", 5: "<q", 14: "<I", 15: "<q", 17: "<H", 18: "<Q"}.get(coltyp)
    if fmt and len(data) == struct.calcsize(fmt):
        v = struct.unpack(fmt, data)[0]
        return (v != 0) if coltyp == 1 else v
    if coltyp in (6, 7, 8) and len(data) == (4 if coltyp == 6 else 8):
        if coltyp == 8:
            return ole_date(struct.unpack("<d", data)[0])
        return ("f32:" if coltyp == 6 else "f64:") + data.hex()
    if coltyp == 16 and len(data) == 16:
        import uuid
        return str(uuid.UUID(bytes_le=bytes(data)))
    if coltyp in (TEXT, LONG_TEXT):
        enc = {1200: "utf-16-le", 20127: "ascii"}.get(codepage, "cp1252")
        if enc == "utf-16-le" and len(data) % 2:
            data += b"\x00"
        return data.decode(enc, errors="replace").rstrip("\x00")
    return bytes(data).hex()


def with_dissect(path):
    from dissect.esedb import EseDB
    out = {}
    try:
        db = EseDB(open(path, "rb"))
        tables = list(db.tables())
    except Exception as e:  # the whole file is unreadable to this reader
        return {"error": repr(e)}
    for table in tables:
        columns = [(c.name, int(c.type)) for c in table.columns]
        rows, error = [], None
        try:
            for record in table.records():
                row = []
                for name, coltyp in columns:
                    try:
                        row.append(typed(coltyp, record.get(name)))
                    except Exception as e:
                        row.append({"error": repr(e)[:200]})
                rows.append(row)
        except Exception as e:
            error = repr(e)[:200]
        out[table.name] = {"columns": [c[0] for c in columns], "rows": rows, "error": error}
    return {"tables": out}


def codepages(path):
    """(table, column) -> code page, from dissect's reading of the catalog:
    pyesedb does not expose a column's code page, and needs it only to turn
    long-text bytes into text."""
    from dissect.esedb import EseDB
    pages = {}
    try:
        for table in EseDB(open(path, "rb")).tables():
            for c in table.columns:
                if c.record is not None:
                    pages[(table.name, c.name)] = c.record.get("PagesOrLocale")
    except Exception:
        pass
    return pages


def with_pyesedb(path):
    import pyesedb
    out = {}
    pages = codepages(path)
    f = pyesedb.file()
    try:
        f.open(path)
    except Exception as e:
        return {"error": repr(e)}
    for t in range(f.number_of_tables):
        table = f.get_table(t)
        columns = [table.get_column(i) for i in range(table.number_of_columns)]
        names = [c.name for c in columns]
        rows, error = [], None
        try:
            for r in range(table.number_of_records):
                record = table.get_record(r)
                row = []
                for i, column in enumerate(columns):
                    try:
                        coltyp, codepage = column.type, pages.get((table.name, column.name), 1252)
                        if record.is_multi_value(i):
                            # libesedb-python has no accessor for the instances.
                            row.append({"error": "libesedb-python: no multi-value accessor"})
                        elif record.is_long_value(i):
                            lv = record.get_value_data_as_long_value(i)
                            row.append(from_bytes(coltyp, codepage, lv.get_data() if lv is not None else None))
                        else:
                            data = record.get_value_data(i)
                            if data is not None and record.get_value_data_flags(i) & 0x02:
                                # libesedb-python returns compressed values as stored;
                                # they are decompressed with dissect.util's codecs.
                                from dissect.esedb.compression import decompress
                                data = decompress(data)
                            row.append(None if data is None else from_bytes(coltyp, codepage, data))
                    except Exception as e:
                        row.append({"error": repr(e)[:200]})
                rows.append(row)
        except Exception as e:
            error = repr(e)[:200]
        out[table.name] = {"columns": names, "rows": rows, "error": error}
    return {"tables": out}


if __name__ == "__main__":
    json.dump({"dissect": with_dissect(sys.argv[1]), "pyesedb": with_pyesedb(sys.argv[1])}, sys.stdout)
