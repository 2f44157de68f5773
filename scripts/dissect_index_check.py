#!/usr/bin/env python3
"""Reads every table of a database through each of its secondary indexes
with dissect.esedb (the index's entries, each resolved to its row through
the table's tree) and compares the rows reached with the table's own rows.
Prints one line per index: "TABLE INDEX ENTRIES ROWS agree|DISAGREE"; exits
1 when an index reaches a row the table does not have, or the same row
twice in a unique index. Rows without an entry are counted, not failed (an
index may leave rows out by definition); the caller compares the counts.

Usage: dissect_index_check.py DATABASE
"""
import json
import sys

from dissect.esedb import EseDB


def key(record):
    return json.dumps(record.as_dict(), sort_keys=True, default=repr)


def main():
    path = sys.argv[1]
    bad = False
    with open(path, "rb") as f:
        db = EseDB(f)
        for table in db.tables():
            if table.name.startswith("MSys"):
                continue
            rows = {}
            for record in table.records():
                k = key(record)
                rows[k] = rows.get(k, 0) + 1
            for index in table.indexes:
                if index.is_primary:
                    continue
                reached = 0
                ok = True
                try:
                    for record in index.cursor():
                        reached += 1
                        if key(record) not in rows:
                            ok = False
                except Exception as e:  # an entry that names no row (or an empty tree)
                    if reached or rows:
                        print(f"{table.name} {index.name}: {type(e).__name__}: {e}")
                        ok = False
                bad |= not ok
                word = "agree" if ok else "DISAGREE"
                print(f"{table.name} {index.name} {reached} {sum(rows.values())} {word}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
