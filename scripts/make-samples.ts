/** Writes the studio's sample photos (224 px centre crops of ../shared/images) to public/samples/. Run once. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import jpeg from 'jpeg-js';
import { centreCrop, readImage } from '../src/lib/node/files.ts';
import { REPO_ROOT } from '../src/lib/node/model-cache.ts';

for (const name of ['cat', 'airplane', 'portrait']) {
  const img = await readImage(join(REPO_ROOT, '..', 'shared', 'images', `${name}.jpg`));
  const crop = centreCrop(img, 224);
  const rgb = await tf.browser.toPixels(crop.squeeze() as tf.Tensor3D);
  writeFileSync(
    join(REPO_ROOT, 'public', 'samples', `${name}.jpg`),
    jpeg.encode({ data: rgb, width: 224, height: 224 }, 90).data,
  );
  tf.dispose([img, crop]);
}
