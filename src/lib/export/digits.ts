/** A 3×5 bitmap font for the characters contact-sheet labels use (digits and a little punctuation). */
export const GLYPH_W = 3;
export const GLYPH_H = 5;

const GLYPHS: Record<string, number[]> = {
  '0': [0b111, 0b101, 0b101, 0b101, 0b111],
  '1': [0b010, 0b110, 0b010, 0b010, 0b111],
  '2': [0b111, 0b001, 0b111, 0b100, 0b111],
  '3': [0b111, 0b001, 0b011, 0b001, 0b111],
  '4': [0b101, 0b101, 0b111, 0b001, 0b001],
  '5': [0b111, 0b100, 0b111, 0b001, 0b111],
  '6': [0b111, 0b100, 0b111, 0b101, 0b111],
  '7': [0b111, 0b001, 0b010, 0b010, 0b010],
  '8': [0b111, 0b101, 0b111, 0b101, 0b111],
  '9': [0b111, 0b101, 0b111, 0b001, 0b111],
  '#': [0b101, 0b111, 0b101, 0b111, 0b101],
  '-': [0b000, 0b000, 0b111, 0b000, 0b000],
  ':': [0b000, 0b010, 0b000, 0b010, 0b000],
  '.': [0b000, 0b000, 0b000, 0b000, 0b010],
  ' ': [0, 0, 0, 0, 0],
};

/** Rows of the glyph, most significant bit on the left; unknown characters draw as a box. */
export function glyph(ch: string): number[] {
  return GLYPHS[ch] ?? [0b111, 0b101, 0b101, 0b101, 0b111].map((r, i) => (i === 0 || i === 4 ? 0b111 : 0b101) & r);
}
