import { failedPrecondition } from '@berth/kit';
import type { ImageContext } from './context.js';
import { findImage, viewOf } from './lookup.js';
import type { ImageRecord } from './types.js';

export interface HistoryItem {
  id: string;
  /** Unix seconds. */
  created: number;
  createdBy: string;
  tags: string[];
  size: number;
  comment: string;
  emptyLayer: boolean;
}

interface ConfigHistory {
  created?: unknown;
  created_by?: unknown;
  comment?: unknown;
  empty_layer?: unknown;
}

/**
 * moby's ImageHistory: the config's history, newest first; a step that made a layer shows that
 * layer's unpacked size. Ids and tags come from the parent chain, one image per step from the
 * newest: an image made here step by step (a build, a commit) shows each step's image; a pulled
 * image has no parent, so its older steps say "<missing>".
 */
export function imageHistory(ctx: ImageContext, reference: string): HistoryItem[] {
  const { image } = findImage(ctx.images, reference);
  const doc = JSON.parse(image.config.toString('utf8')) as { history?: unknown };
  const steps = Array.isArray(doc.history) ? (doc.history as ConfigHistory[]) : [];
  const out: HistoryItem[] = [];
  let layer = 0;
  for (const h of steps) {
    const empty = h.empty_layer === true;
    let size = 0;
    if (!empty) {
      const l = image.layers[layer++];
      if (!l) throw failedPrecondition(`image ${image.id}: too many non-empty layers in its history`);
      size = ctx.snapshots.layerSize(l.chainId) ?? 0;
    }
    const created = typeof h.created === 'string' ? Date.parse(h.created) : NaN;
    out.unshift({
      id: '<missing>',
      created: Number.isNaN(created) ? 0 : Math.floor(created / 1000),
      createdBy: typeof h.created_by === 'string' ? h.created_by : '',
      tags: [],
      size,
      comment: typeof h.comment === 'string' ? h.comment : '',
      emptyLayer: empty,
    });
  }
  let at: ImageRecord | undefined = image;
  for (const item of out) {
    if (!at) break;
    item.id = at.id;
    item.tags = viewOf(ctx.images, at).repoTags;
    at = at.parent === undefined ? undefined : ctx.images.get(at.parent);
  }
  return out;
}
