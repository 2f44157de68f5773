#!/usr/bin/env python3
"""Reads every record of one table with dissect.esedb, every column of each
(Record.as_dict decodes them all, long values included), and prints the
record count. scripts/bench.sh times it beside `esescope export` and
esedbexport on the same file.

Usage: dissect_read_table.py DATABASE TABLE
"""
import sys

from dissect.esedb import EseDB


def main():
    path, name = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        table = EseDB(f).table(name)
        count = 0
        for record in table.records():
            record.as_dict()
            count += 1
    print(count)


if __name__ == "__main__":
    main()
