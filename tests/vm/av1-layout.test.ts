// The V4L2 AV1 control layouts the daemon reads and the file client writes, checked against the
// 6.12 kernel's uAPI header (bookworm's linux-libc-dev, 6.1, has no AV1): the header as
// uapi-headers.sh installs it for user space (make headers_install's script).
import assert from "node:assert/strict";
import * as AV1 from "../../src/av1/v4l2-av1.ts";
import { offsetsProgram, runC } from "../lib/cc.ts";
import { uapiHeaders } from "../lib/harness.ts";

const STRUCTS: Record<string, string> = {
  sequence: "struct v4l2_ctrl_av1_sequence",
  tileGroupEntry: "struct v4l2_ctrl_av1_tile_group_entry",
  frame: "struct v4l2_ctrl_av1_frame",
  filmGrain: "struct v4l2_ctrl_av1_film_grain",
};

Deno.test("V4L2 AV1 control layouts match the 6.12 uAPI header", async () => {
  const uapi = await uapiHeaders();
  const entries: [string, string][] = [];
  const expected: Record<string, number> = {};
  for (const [group, fields] of Object.entries(AV1.LAYOUT)) {
    for (const [field, value] of Object.entries(fields)) {
      expected[`${group}.${field}`] = value;
      entries.push([
        `${group}.${field}`,
        field === "size" ? `sizeof(${STRUCTS[group]})` : `offsetof(${STRUCTS[group]}, ${field})`,
      ]);
    }
  }
  const ids: [string, number][] = [
    ["V4L2_CID_STATELESS_AV1_SEQUENCE", AV1.V4L2_CID_STATELESS_AV1_SEQUENCE],
    ["V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY", AV1.V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY],
    ["V4L2_CID_STATELESS_AV1_FRAME", AV1.V4L2_CID_STATELESS_AV1_FRAME],
    ["V4L2_CID_STATELESS_AV1_FILM_GRAIN", AV1.V4L2_CID_STATELESS_AV1_FILM_GRAIN],
    ["V4L2_AV1_FRAME_FLAG_FRAME_REFS_SHORT_SIGNALING", AV1.FRAME_FLAG.FRAME_REFS_SHORT_SIGNALING],
    ["V4L2_AV1_SEQUENCE_FLAG_SEPARATE_UV_DELTA_Q", AV1.SEQ_FLAG.SEPARATE_UV_DELTA_Q],
    ["V4L2_AV1_FILM_GRAIN_FLAG_CLIP_TO_RESTRICTED_RANGE", AV1.FG_FLAG.CLIP_TO_RESTRICTED_RANGE],
  ];
  for (const [name, value] of ids) {
    entries.push([name, name]);
    expected[name] = value;
  }
  const c = await runC<Record<string, number>>(
    offsetsProgram(["linux/v4l2-controls.h"], entries),
    [`-I${uapi}`],
  );
  assert.deepEqual(c, expected);
});
