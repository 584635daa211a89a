// The kernel module in a real kernel, driven by the C test backend and client of tests/kmod/.
import {
  assertGuestOk,
  CACHE,
  type GuestOptions,
  type GuestResult,
  type Kernel,
  KERNELS,
  REPO,
  runGuest,
  VM_TEST,
} from "./harness.ts";

/**
 * runGuest, waiting out a concurrent rebuild: build-kmod.sh recreates the shared build directory,
 * so another test process's build can remove the module between our build and the boot.
 */
async function runGuestSettled(
  kernel: Kernel,
  script: string,
  opts: GuestOptions,
): Promise<GuestResult> {
  for (let attempt = 1;; attempt++) {
    try {
      return await runGuest(kernel, script, opts);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound) || attempt === 3) throw e;
      await new Deno.Command("flock", { args: [`${CACHE}/build/kmod-${kernel}.lock`, "true"] })
        .output();
    }
  }
}

/** Compiles tests/kmod/*.c and makes a clip once per test process; returns name -> path. */
let built: Promise<Record<string, string>> | undefined;
function buildTools(): Promise<Record<string, string>> {
  built ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "daedalus-kmod-tests-" });
    const files: Record<string, string> = {};
    for (const name of ["backend", "client"]) {
      const out = await new Deno.Command("cc", {
        args: [
          "-O2",
          "-Wall",
          "-Wextra",
          "-Werror",
          `-I${REPO}/kmod/uapi`,
          "-o",
          `${dir}/${name}`,
          `${REPO}/tests/kmod/${name}.c`,
        ],
      }).output();
      if (out.code !== 0) throw new Error(`cc ${name}.c:\n${new TextDecoder().decode(out.stderr)}`);
      files[name] = `${dir}/${name}`;
    }
    // A real H.264 stream (2 slices per picture, B-frames) for GStreamer to parse and submit.
    const ff = await new Deno.Command("ffmpeg", {
      args: [
        "-hide_banner",
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25",
        "-frames:v",
        "20",
        "-c:v",
        "libx264",
        "-bf",
        "2",
        "-x264-params",
        "slices=2",
        "-y",
        `${dir}/clip.h264`,
      ],
    }).output();
    if (ff.code !== 0) throw new Error(`ffmpeg:\n${new TextDecoder().decode(ff.stderr)}`);
    files["clip.h264"] = `${dir}/clip.h264`;
    return files;
  })();
  return built;
}

for (const kernel of KERNELS) {
  Deno.test({
    name: `vm ${kernel}: decoder: compliance, pictures, 4 processes, faults, rmmod`,
    ...VM_TEST,
  }, async () => {
    const r = await runGuestSettled(kernel, `${REPO}/tests/vm/guest/kmod_main.sh`, {
      files: await buildTools(),
      timeoutS: 180,
    });
    console.log(r.log.split("\n").filter((l) => /^(ok|FAIL|compliance)/.test(l)).join("\n"));
    assertGuestOk(r);
  });

  Deno.test({
    name: `vm ${kernel}: decoder: every decode and start-code mode, requests, codecs`,
    ...VM_TEST,
  }, async () => {
    const r = await runGuestSettled(kernel, `${REPO}/tests/vm/guest/kmod_modes.sh`, {
      files: await buildTools(),
      timeoutS: 180,
    });
    console.log(r.log.split("\n").filter((l) => /^(ok|FAIL)/.test(l)).join("\n"));
    assertGuestOk(r);
  });
}
