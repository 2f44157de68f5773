#!/usr/bin/env python3
"""Reads every record of one table (or of every table) with dissect.esedb,
every column of each (Record.as_dict decodes them all, long values
included), and prints the record count. scripts/bench.sh times it beside
`esescope export`, esedbexport and pyesedb on the same file.

Usage: dissect_read_table.py DATABASE [TABLE]
"""
import sys

from dissect.esedb import EseDB


def main():
    path = sys.argv[1]
    name = sys.argv[2] if len(sys.argv) > 2 else None
    with open(path, "rb") as f:
        db = EseDB(f)
        tables = [db.table(name)] if name is not None else db.tables()
        count = 0
        for table in tables:
            for record in table.records():
                record.as_dict()
                count += 1
    print(count)


if __name__ == "__main__":
    main()
