/** Errors the engine reports to people (bad layer, channel, settings); no TensorFlow.js import, safe anywhere. */
export class EngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineError';
  }
}
