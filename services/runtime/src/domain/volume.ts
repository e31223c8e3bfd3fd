/** A named volume (Docker's local driver: a directory under the runtime's state). */
export interface Volume {
  name: string;
  driver: 'local';
  /** RFC 3339, seconds (as Docker shows CreatedAt). */
  createdAt: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** Made for one container (`-v /data`, an image VOLUME): `rm -v` and prune take these. */
  anonymous: boolean;
}

/** A volume as one container mounts it (kept with the container, from its create on). */
export interface VolumeMount {
  name: string;
  destination: string;
  readOnly: boolean;
  anonymous: boolean;
  /** Do not copy the image's files at the destination into an empty volume. */
  noCopy: boolean;
}

/** Where volumes are kept. */
export interface VolumeStore {
  /** false when the name exists already. */
  insert(v: Volume): boolean;
  get(name: string): Volume | undefined;
  list(): Volume[];
  delete(name: string): void;
}
