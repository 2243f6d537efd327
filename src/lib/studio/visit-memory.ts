/**
 * What this browser remembers from one visit to the next: the model open at the end of the last one (only one that
 * opens again by its id) and the backend picked in the header (nothing for auto). Where storage is unavailable
 * (blocked, a private window's quota) nothing is remembered and nothing fails: the defaults open.
 */
import { isBackendChoice, type BackendChoice } from '../protocol.ts';

const MODEL_KEY = 'featurescope:last-model';
const BACKEND_KEY = 'featurescope:backend';

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string | null) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    /* not remembered: the default next time */
  }
}

export const visitMemory = {
  lastModel: (): string | null => read(MODEL_KEY),
  rememberModel: (id: string) => write(MODEL_KEY, id),
  lastBackend: (): BackendChoice | null => {
    const b = read(BACKEND_KEY);
    return isBackendChoice(b) ? b : null;
  },
  rememberBackend: (choice: BackendChoice) => write(BACKEND_KEY, choice === 'auto' ? null : choice),
};
