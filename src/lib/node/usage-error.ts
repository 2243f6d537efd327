/** A mistake in what a command was asked (an option, a file, a name): reported in one line, without a stack. */
export class UsageError extends Error {
  override name = 'UsageError';
}
