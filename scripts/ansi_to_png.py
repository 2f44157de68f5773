#!/usr/bin/env python3
"""Turns a terminal screen captured with `tmux capture-pane -e -p` (text
with ANSI SGR colour codes) into a PNG, drawing every cell in DejaVu Sans
Mono. Used by scripts/screenshots.sh for the README's pictures.

Usage: ansi_to_png.py CAPTURE.txt OUT.png [COLUMNS ROWS]
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
SIZE = 15
BASE = [(0x1d, 0x1f, 0x21), (0xcc, 0x33, 0x33), (0x5f, 0xa8, 0x3a), (0xd7, 0xa6, 0x1c),
        (0x46, 0x7f, 0xc8), (0xa3, 0x5c, 0xc4), (0x2a, 0xa1, 0xb3), (0xc5, 0xc8, 0xc6),
        (0x66, 0x66, 0x66), (0xff, 0x55, 0x55), (0x8a, 0xd9, 0x5c), (0xff, 0xd8, 0x5c),
        (0x7a, 0xaa, 0xff), (0xd7, 0x8a, 0xff), (0x5c, 0xe0, 0xf0), (0xff, 0xff, 0xff)]
DEFAULT_FG, DEFAULT_BG = (0xd8, 0xd8, 0xd8), (0x1d, 0x1f, 0x21)


def xterm256(n):
    if n < 16:
        return BASE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    v = 8 + 10 * (n - 232)
    return (v, v, v)


def parse(text, columns, rows):
    """Cells: rows x columns of (char, fg, bg, bold)."""
    grid = [[(" ", DEFAULT_FG, DEFAULT_BG, False) for _ in range(columns)] for _ in range(rows)]
    fg, bg, bold, reverse = DEFAULT_FG, DEFAULT_BG, False, False
    for y, line in enumerate(text.split("\n")[:rows]):
        x = 0
        for token in re.split(r"(\x1b\[[0-9;]*m)", line):
            if token.startswith("\x1b["):
                codes = [int(c) if c else 0 for c in token[2:-1].split(";")]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0:
                        fg, bg, bold, reverse = DEFAULT_FG, DEFAULT_BG, False, False
                    elif c == 1:
                        bold = True
                    elif c == 22:
                        bold = False
                    elif c == 7:
                        reverse = True
                    elif c == 27:
                        reverse = False
                    elif 30 <= c <= 37:
                        fg = BASE[c - 30]
                    elif 90 <= c <= 97:
                        fg = BASE[c - 90 + 8]
                    elif 40 <= c <= 47:
                        bg = BASE[c - 40]
                    elif 100 <= c <= 107:
                        bg = BASE[c - 100 + 8]
                    elif c == 39:
                        fg = DEFAULT_FG
                    elif c == 49:
                        bg = DEFAULT_BG
                    elif c in (38, 48) and i + 1 < len(codes):
                        if codes[i + 1] == 5 and i + 2 < len(codes):
                            colour = xterm256(codes[i + 2])
                            i += 2
                        elif codes[i + 1] == 2 and i + 4 < len(codes):
                            colour = tuple(codes[i + 2:i + 5])
                            i += 4
                        else:
                            colour = None
                        if colour is not None:
                            if c == 38:
                                fg = colour
                            else:
                                bg = colour
                    i += 1
                continue
            for ch in token:
                if x < columns:
                    f, b = (bg, fg) if reverse else (fg, bg)
                    grid[y][x] = (ch, f, b, bold)
                x += 1
    return grid


def main():
    capture, out = sys.argv[1], sys.argv[2]
    columns, rows = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (100, 30)
    grid = parse(open(capture, encoding="utf-8").read(), columns, rows)
    font, bold = ImageFont.truetype(FONT, SIZE), ImageFont.truetype(BOLD, SIZE)
    cw, ch = round(font.getlength("M")), SIZE + 4
    image = Image.new("RGB", (cw * columns + 16, ch * rows + 16), DEFAULT_BG)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(grid):
        for x, (char, fg, bg, is_bold) in enumerate(row):
            px, py = 8 + x * cw, 8 + y * ch
            if bg != DEFAULT_BG:
                draw.rectangle([px, py, px + cw, py + ch], fill=bg)
            if char != " ":
                draw.text((px, py + 1), char, fill=fg, font=bold if is_bold else font)
    image.save(out, optimize=True)


if __name__ == "__main__":
    main()
