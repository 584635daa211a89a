// The package as a Raspberry Pi owner gets it: installed with apt on booted Debian bookworm systems
// (arm64 under qemu-system-aarch64, amd64 with its 6.1 kernel, which lacks v4l2-mem2mem), used,
// rebooted, reinstalled, disabled and upgraded, removed and purged; the drop-in file on the same
// system. Each arch boots its cached image (tests/vm/system/image.sh) four times on one disk overlay;
// each boot runs one step of tests/vm/system/steps.sh, which prints a transcript of what it does.
//
// Behind a flag (DAEDALUS_SYSTEM_TESTS=1 ./run test): building an image takes a long time once
// (debootstrap, and for arm64 a second stage under emulation), and each arch's four boots with two
// DKMS builds under TCG take far longer than the rest of the suite. tests/dist.test.ts checks the
// package itself on every run.
import assert from "node:assert/strict";
import { CACHE, REPO, run, VM_TEST } from "../lib/harness.ts";

const ENABLED = Deno.env.get("DAEDALUS_SYSTEM_TESTS") === "1";
const STEPS = ["install", "reboot_upgrade", "remove_purge", "after_purge"] as const;

for (const arch of ["arm64", "amd64"] as const) {
  Deno.test({
    name:
      `system ${arch}: apt install, boot, decode, reboot, drop-in, reinstall, upgrade, remove, purge`,
    ignore: !ENABLED,
    ...VM_TEST,
    fn: async () => {
      await run("bash", [`${REPO}/tests/vm/system/image.sh`, arch]);
      const dir = `${CACHE}/runs/system-${arch}-${new Date().toISOString().replace(/[:.]/g, "")}`;
      await Deno.mkdir(dir, { recursive: true });
      for (const version of ["0.1.0", "0.1.1"]) {
        const deb = (await run("bash", [`${REPO}/dist/build-deb.sh`, arch, "--version", version]))
          .trim();
        await Deno.copyFile(`${REPO}/${deb}`, `${dir}/daedalus-v4l2_${version}_${arch}.deb`);
      }
      const dropin = (await run("bash", [`${REPO}/dist/build-dropin.sh`, arch])).trim();
      await Deno.copyFile(`${REPO}/${dropin}`, `${dir}/daedalusd-${arch}`);
      await Deno.copyFile(
        `${REPO}/dist/build/daedalusd-dropin.service`,
        `${dir}/daedalusd-dropin.service`,
      );
      await Deno.copyFile(`${REPO}/tests/vm/system/steps.sh`, `${dir}/steps.sh`);
      // A small clip: 320x240 (no stride padding in GStreamer's output), 24 frames with B-frames.
      await run("ffmpeg", [
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=24",
        "-frames:v",
        "24",
        "-c:v",
        "libx264",
        "-profile:v",
        "high",
        "-bf",
        "2",
        "-pix_fmt",
        "yuv420p",
        `${dir}/clip.h264`,
      ]); // deno-fmt-ignore
      const disk = `${dir}/disk.qcow2`;
      await run("qemu-img", [
        "create",
        "-q",
        "-f",
        "qcow2",
        "-b",
        `${CACHE}/system-${arch}/disk.raw`,
        "-F",
        "raw",
        disk,
      ]);
      for (const [i, step] of STEPS.entries()) {
        await Deno.writeTextFile(`${dir}/step.sh`, `source ./steps.sh\nstep_${step}\n`);
        const t0 = performance.now();
        const boot = await new Deno.Command("bash", {
          args: [`${REPO}/tests/vm/system/boot.sh`, arch, disk, dir, `${dir}/console-${i + 1}.log`],
          env: { VM_TIMEOUT: "2700" },
        }).output();
        const log = await Deno.readTextFile(`${dir}/step.log`).catch(() => "(no step.log)");
        await Deno.writeTextFile(`${dir}/step-${i + 1}-${step}.log`, log);
        console.log(
          `--- ${arch} boot ${i + 1} (${step}): exit ${boot.code}, ` +
            `${((performance.now() - t0) / 1000).toFixed(0)} s; transcript ${dir}/step-${
              i + 1
            }-${step}.log`,
        );
        console.log(
          log.split("\n").filter((l) => /^(\$ |CHECK-FAIL|decode:|drop-in:|→|left behind)/.test(l))
            .join("\n"),
        );
        assert.equal(boot.code, 0, `${arch} boot ${i + 1} (${step}) failed:\n${log.slice(-4000)}`);
      }
      await Deno.remove(disk);
    },
  });
}
