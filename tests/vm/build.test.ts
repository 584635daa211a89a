// The module builds warning-free (W=1) for every kernel the tests boot and for Debian's arm64 6.1, and
// follows kernel style.
import { buildKmod, CACHE, KERNELS, prepare, REPO } from "../lib/harness.ts";

for (const kernel of [...KERNELS, "arm64"] as const) {
  Deno.test(`kmod builds warning-free for ${kernel}`, async () => {
    const dir = await buildKmod(kernel);
    await Deno.stat(`${dir}/daedalus_v4l2.ko`);
  });
}

Deno.test("kmod is checkpatch --strict clean", async () => {
  await prepare("tools");
  const files: string[] = [];
  for (const dir of ["kmod", "kmod/uapi"]) {
    for await (const e of Deno.readDir(`${REPO}/${dir}`)) {
      if (e.isFile && /\.[ch]$/.test(e.name)) files.push(`${REPO}/${dir}/${e.name}`);
    }
  }
  const out = await new Deno.Command("perl", {
    args: [
      `${CACHE}/src6.12/scripts/checkpatch.pl`,
      "--strict",
      "--no-tree",
      "--terse",
      "-f",
      ...files,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (out.code !== 0) throw new Error(`checkpatch --strict:\n${text}`);
});
