/** H.264 clips the end-to-end tests share beyond the matrix's streams (tests/lib/e2e.ts's Clip). */
import { type Client, type Clip, type Format, joined } from "./e2e.ts";
import { MATRIX } from "./h264-matrix.ts";
import { streamFile } from "./streams.ts";

/**
 * MP4 input, and a stream whose resolution changes at an IDR (two clips joined), decoded to
 * `format` by `client` (default: e2e.ts's), their ids prefixed by `prefix`; `frames` counts the
 * pictures of both.
 */
export async function mp4AndResolutionChange(
  format: Format,
  client?: Client,
  prefix = "",
): Promise<{ clips: Clip[]; frames: number }> {
  const a = MATRIX.find((r) => r.name === "main-cabac-bpyramid-640x360")!;
  const b = MATRIX.find((r) => r.name === "baseline-cavlc-poc2-176x144")!;
  const [fa, fb] = [await streamFile(a), await streamFile(b)];
  const joinedFile = await joined([fa, fb]);
  return {
    clips: [
      {
        id: `${prefix}mp4`,
        file: await streamFile(a, "mp4"),
        codec: "h264",
        container: "mp4",
        format,
        client,
      },
      {
        id: `${prefix}res-change`,
        file: joinedFile,
        codec: "h264",
        container: "h264",
        format,
        client,
        parts: [fa, fb],
      },
    ],
    frames: 2 * a.frames + b.frames,
  };
}
