import { processMetrics, registerCollector } from '@berth/kit';
import type { Images } from './domain/images.js';

/**
 * The image service's metrics: pulls by result and the bytes they downloaded (from the pull's
 * own progress: the last `Downloading` position of each layer), and the number of images at
 * scrape time. `meteredImages` wraps the use cases the gRPC layer calls (index.ts), so the pull
 * code itself knows nothing of metrics.
 */
export function meteredImages(images: Images): Images {
  const metrics = processMetrics();
  const pulls = metrics.counter('berth_image_pulls_total', 'Image pulls, by result (success, failure, cancelled)', ['result']);
  const bytes = metrics.counter('berth_image_pull_bytes_total', 'Layer bytes downloaded by pulls');
  registerCollector('image', () => [
    { name: 'berth_images', help: 'Images in the store', type: 'gauge', samples: [{ value: images.list().length }] },
  ]);
  const pull: Images['pull'] = async function* (request, signal) {
    const downloaded = new Map<string, number>();
    let result = 'failure';
    try {
      for await (const p of images.pull(request, signal)) {
        if (p.status === 'Downloading') downloaded.set(p.id, Math.max(downloaded.get(p.id) ?? 0, p.current));
        yield p;
      }
      result = 'success';
    } finally {
      if (result !== 'success' && signal.aborted) result = 'cancelled';
      pulls.inc({ result });
      let sum = 0;
      for (const n of downloaded.values()) sum += n;
      bytes.inc(sum);
    }
  };
  return Object.assign(Object.create(images) as Images, { pull });
}
