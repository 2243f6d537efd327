/** File-name-safe version of a layer or node name: letters and digits of any script stay, the rest become _. */
export const safeName = (s: string) => s.replace(/[^\p{L}\p{N}_.-]+/gu, '_');
