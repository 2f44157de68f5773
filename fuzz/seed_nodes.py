#!/usr/bin/env python3
"""Cuts record, catalog and space seeds out of the page seeds (fuzz/seed.sh).

Reads corpus/page/* (4-byte page number + one page) and writes:
  corpus/record/<seed>.n<line>   the data of each leaf node (records)
  corpus/catalog/<seed>.n<line>  the same, for pages 4-23 (the catalog)
  corpus/space/<seed>            page number + tag 0 of root pages
The page is walked just far enough to find them (spec 6 and 7): the page
size from the seed's length, tags from the end of the page, 13-bit fields
on small pages and 15-bit ones on 16/32 KiB pages.
Usage: seed_nodes.py CORPUS_DIR
"""
import os
import struct
import sys

MAX_PER_PAGE = 8


def seeds(corpus):
    pages = os.path.join(corpus, "page")
    for name in sorted(os.listdir(pages)):
        with open(os.path.join(pages, name), "rb") as f:
            data = f.read()
        if len(data) < 4 + 4096:
            continue
        pgno = struct.unpack_from("<I", data, 0)[0]
        page = data[4:]
        size = len(page)
        if size not in (4096, 8192, 16384, 32768):
            continue
        large = size >= 16384
        header = 80 if large else 40
        mask = 0x7FFF if large else 0x1FFF
        flags = struct.unpack_from("<I", page, 36)[0]
        tag_count = struct.unpack_from("<H", page, 34)[0]
        tags = []
        for i in range(min(tag_count, 1024)):
            at = size - 4 * (i + 1)
            if at < header:
                break
            cb, ib = struct.unpack_from("<HH", page, at)
            node_flags = (ib >> 13) if not large else 0
            start = header + (ib & mask)
            end = start + (cb & mask)
            if end > size:
                continue
            if large and end - start >= 2:
                node_flags = page[start + 1] >> 5
            tags.append((page[start:end], node_flags))
        if not tags:
            continue
        yield name, pgno, flags, tags


def main():
    corpus = sys.argv[1]
    for d in ("record", "catalog", "space"):
        os.makedirs(os.path.join(corpus, d), exist_ok=True)
    count = 0
    for name, pgno, flags, tags in seeds(corpus):
        if flags & 0x1 and tags[0][0]:  # root: tag 0 holds the space header
            with open(os.path.join(corpus, "space", name), "wb") as f:
                f.write(struct.pack("<I", pgno) + tags[0][0])
            count += 1
        if not flags & 0x2 or flags & 0x20:  # records only on leaves of non-space trees
            continue
        for line, (node, node_flags) in enumerate(tags[1 : 1 + MAX_PER_PAGE]):
            compressed = node_flags & 0x4
            at = 4 if compressed else 2
            if len(node) < at:
                continue
            suffix = struct.unpack_from("<H", node, at - 2)[0] & 0x1FFF
            record = node[at + suffix :]
            if len(record) < 4:
                continue
            target = "catalog" if 4 <= pgno <= 23 else "record"
            with open(os.path.join(corpus, target, "%s.n%d" % (name, line)), "wb") as f:
                f.write(record)
            count += 1
    print("seed_nodes.py: %d record, catalog and space seeds" % count)


if __name__ == "__main__":
    main()
