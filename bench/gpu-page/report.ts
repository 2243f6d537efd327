/** One result line: printed as `FSBENCH {json}` on the console, appended to the page and sent to the server's /log. */
export function report(o: Record<string, unknown>): void {
  const line = JSON.stringify({ t: +(performance.now() / 1000).toFixed(1), ...o });
  console.log(`FSBENCH ${line}`);
  const out = document.getElementById('out');
  if (out) out.textContent += `${line}\n`;
  const sent = fetch('log', { method: 'POST', body: line }).then(
    () => undefined,
    () => undefined,
  );
  pending.add(sent);
  void sent.finally(() => pending.delete(sent));
}

const pending = new Set<Promise<void>>();

/** Resolves when every line reported so far has reached the server. */
export async function flush(): Promise<void> {
  await Promise.all([...pending]);
}
