/** Errors the engine reports to people (bad layer, channel, settings, model package); no TensorFlow.js import, safe anywhere. */
export class EngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineError';
  }
}

/** A model package that cannot be used, with a message that names the file and the reason. */
export class ModelLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelLoadError';
  }
}

/** Thrown by readers for a file longer than the caller's limit. */
export class TooLargeError extends Error {
  override name = 'TooLargeError';
}
