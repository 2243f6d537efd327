/** Saves bytes as a file through a temporary link. */
export function download(bytes: Uint8Array, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** File-name-safe version of a layer or node name: letters and digits of any script stay, the rest become _. */
export const safeName = (s: string) => s.replace(/[^\p{L}\p{N}_.-]+/gu, '_');
