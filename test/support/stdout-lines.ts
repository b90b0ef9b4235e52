/** The non-empty lines a synchronous call writes to stdout (EMF documents, for one), captured instead of printed. */
export function stdoutLinesOf(run: () => void): string[] {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return lines;
}
