/** File-name-safe version of a layer or node name: letters and digits of any script stay, the rest become _. */
export const safeName = (s: string) => s.replace(/[^\p{L}\p{N}_.-]+/gu, '_');

/**
 * The file-name part that says which variant an image is: "-v<k>" (counted from 0, as the CLI names its files) for
 * every image of a group of variants, variant 0 too, so that it never takes the single image's name; nothing for a
 * single image.
 */
export const variantSuffix = (variant: number, variants = 1): string => (variants > 1 || variant > 0 ? `-v${variant}` : '');
