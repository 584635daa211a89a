// The Debian package and the drop-in file: both build for arm64 and amd64, lintian finds no error or
// warning, the package holds what Debian policy and the design card say, its unit is sandboxed, its
// daemon runs under the wrapper's own flags, and its DKMS recipe builds the module (and v4l2-mem2mem
// from linux-source on a kernel built without it). Installing it on booted systems is
// tests/vm/system.test.ts.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ffiDepends } from "../dist/depends.ts";
import { CACHE, prepare, run, sh } from "./lib/harness.ts";

const repo = fileURLToPath(new URL("../", import.meta.url));
const ARCHES = ["arm64", "amd64"] as const;

/** Runs a command; its exit status and its output (stdout, then stderr), without throwing. */
async function exec(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
) {
  const r = await sh(cmd, args, opts);
  return { code: r.code, out: r.stdout + r.stderr };
}

const built = new Map<string, Promise<string>>();
/** The package for `arch`, built once per run of this file. */
function buildDeb(arch: string): Promise<string> {
  if (!built.has(arch)) {
    built.set(
      arch,
      run("bash", [`${repo}dist/build-deb.sh`, arch]).then((out) => `${repo}${out.trim()}`),
    );
  }
  return built.get(arch)!;
}

async function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "daedalus-dist-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const arch of ARCHES) {
  Deno.test(`dist: the ${arch} package builds, is lintian-clean, and holds what policy says`, async () => {
    const deb = await buildDeb(arch);
    const control = await run("dpkg-deb", ["-f", deb]);
    assert.match(control, /^Package: daedalus-v4l2$/m);
    assert.match(control, new RegExp(`^Architecture: ${arch}$`, "m"));
    assert.match(control, /^Maintainer: [^<\n]+ <[^@\s]+@[^@\s]+\.[^@\s]+>$/m);
    const depends = /^Depends: (.+)$/m.exec(control)?.[1] ?? "";
    for (const dep of ["adduser", "dkms", "kmod", ...ffiDepends()]) {
      assert.ok(depends.split(", ").includes(dep), `Depends lacks ${dep}: ${depends}`);
    }
    assert.match(depends, /^libc6 \(>= 2\.\d+\)/);
    const recommends = /^Recommends: (.+)$/m.exec(control)?.[1] ?? "";
    // Debian's amd64 kernels lack v4l2-mem2mem: the DKMS build takes it from linux-source.
    assert.equal(recommends.split(", ").includes("linux-source"), arch === "amd64", recommends);

    const files = (await run("dpkg-deb", ["-c", deb])).split("\n").map((l) =>
      l.split(/\s+/)[5] ?? ""
    );
    assert.deepEqual(
      files.filter((f) => f.startsWith("./usr/local")),
      [],
      "nothing under /usr/local",
    );
    const version = /^Version: (.+)$/m.exec(control)![1];
    for (
      const path of [
        "./usr/bin/daedalusd",
        "./usr/lib/daedalus-v4l2/deno",
        "./usr/lib/daedalus-v4l2/daedalusd.js",
        "./lib/systemd/system/daedalus-v4l2.service",
        "./lib/udev/rules.d/60-daedalus-v4l2.rules",
        "./etc/modules-load.d/daedalus-v4l2.conf",
        `./usr/src/daedalus-v4l2-${version}/dkms.conf`,
        `./usr/src/daedalus-v4l2-${version}/v4l2-mem2mem.sh`,
        `./usr/src/daedalus-v4l2-${version}/uapi/daedalus_v4l2.h`,
        "./usr/share/doc/daedalus-v4l2/copyright",
        "./usr/share/doc/daedalus-v4l2/changelog.gz",
        "./usr/share/man/man1/daedalusd.1.gz",
      ]
    ) assert.ok(files.includes(path), `the package lacks ${path}`);

    await withTemp(async (dir) => {
      await run("dpkg-deb", ["-e", deb, dir]);
      for (const s of ["postinst", "prerm", "postrm"]) {
        assert.doesNotMatch(await Deno.readTextFile(`${dir}/${s}`), /@[A-Z]+@/, s);
        await run("sh", ["-n", `${dir}/${s}`]);
      }
      assert.match(await Deno.readTextFile(`${dir}/md5sums`), /usr\/bin\/daedalusd$/m);
    });
    await withTemp(async (dir) => {
      await run("dpkg-deb", ["-x", deb, dir]);
      // The module carries the package's version.
      const header = await Deno.readTextFile(`${dir}/usr/src/daedalus-v4l2-${version}/daedalus.h`);
      assert.match(
        header,
        new RegExp(`^#define DAEDALUS_VERSION\\t"${version.replaceAll(".", "\\.")}"$`, "m"),
      );
    });

    // lintian's errors and warnings; each override carries its reason (dist/debian/lintian-overrides).
    const lint = await exec("lintian", ["--fail-on", "error,warning", deb]);
    console.log(`lintian ${arch}: ${lint.out.trim() || "(nothing)"}`);
    assert.equal(lint.code, 0, lint.out);
    assert.doesNotMatch(lint.out, /^[EW]: /m);
  });
}

Deno.test("dist: the service's sandbox", async () => {
  // systemd-analyze's offline exposure score (0 best, 10 worst); the unit before the sandbox scored 9.6.
  const r = await exec("systemd-analyze", [
    "security",
    "--offline=true",
    `${repo}dist/debian/daedalus-v4l2.service`,
  ]);
  const score = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(r.out)?.[1]);
  console.log(`systemd-analyze security: exposure ${score}`);
  assert.ok(score <= 1.5, r.out);
  const unit = await Deno.readTextFile(`${repo}dist/debian/daedalus-v4l2.service`);
  for (
    const line of [
      "User=daedalusd",
      "NoNewPrivileges=yes",
      "CapabilityBoundingSet=",
      "ProtectSystem=strict",
      "PrivateNetwork=yes",
      "DevicePolicy=closed",
      "DeviceAllow=/dev/daedalus-v4l2 rw",
      "SystemCallFilter=@system-service",
      "ExecStart=/usr/bin/daedalusd run",
    ]
  ) assert.ok(unit.split("\n").includes(line), `the unit lacks ${line}`);
});

Deno.test("dist: the packaged daemon runs under its wrapper's own flags", async () => {
  const deb = await buildDeb("amd64");
  await withTemp(async (root) => {
    await run("dpkg-deb", ["-x", deb, root]);
    const wrapper = await Deno.readTextFile(`${root}/usr/bin/daedalusd`);
    const flags =
      /^exec \/usr\/lib\/daedalus-v4l2\/deno run (.+) \/usr\/lib\/daedalus-v4l2\/daedalusd\.js "\$@"$/m
        .exec(wrapper)?.[1];
    assert.ok(flags, wrapper);
    assert.doesNotMatch(flags, /--allow-all|-A\b|--allow-net|--allow-run/);
    const lib = `${root}/usr/lib/daedalus-v4l2`;
    const probe = await run(`${lib}/deno`, [
      "run",
      ...flags.split(" "),
      `${lib}/daedalusd.js`,
      "probe",
    ], {
      env: { DENO_DIR: `${root}/deno-dir`, NO_COLOR: "1" },
    });
    assert.match(probe, /daemon decodes \(declared to the module\): h264 vp8 vp9 av1/);
  });
});

Deno.test("dist: DKMS builds the module, and v4l2-mem2mem from linux-source where the kernel lacks it", async () => {
  await prepare("6.1");
  await prepare("arm64");
  const deb = await buildDeb("amd64");
  await withTemp(async (root) => {
    await run("dpkg-deb", ["-x", deb, root]);
    const version = (await run("dpkg-deb", ["-f", deb, "Version"])).trim();
    const src = `${root}/usr/src/daedalus-v4l2-${version}`;
    const kdir = (await Deno.readTextFile(`${CACHE}/k6.1/KDIR`)).trim();
    const kver = (await Deno.readTextFile(`${CACHE}/k6.1/KVER`)).trim();
    const armKdir = (await Deno.readTextFile(`${CACHE}/karm64/KDIR`)).trim();
    // dkms sources dkms.conf with kernel_source_dir set: the extra module only where the kernel lacks it.
    const extra = (k: string) =>
      run("bash", [
        "-c",
        `kernel_source_dir=${k}; . ${src}/dkms.conf; echo "\${BUILT_MODULE_NAME[1]}"`,
      ]);
    assert.equal((await extra(kdir)).trim(), "v4l2-mem2mem");
    assert.equal((await extra(armKdir)).trim(), "");

    const sources = `${root}/linux-source`;
    await Deno.mkdir(sources);
    // Without linux-source: the check names the package to install, and the build stops there.
    const check = await exec("sh", [`${src}/v4l2-mem2mem.sh`, kver, kdir, "--check"], {
      env: { DAEDALUS_LINUX_SOURCE_DIR: sources },
    });
    assert.equal(check.code, 3);
    assert.equal(check.out.trim(), "linux-source-6.1");

    // With it (its tarball's layout, made from the same kernel's source), DKMS's MAKE line as dkms runs
    // it in its build directory, and nothing from outside: no KBUILD_EXTRA_SYMBOLS.
    const tree = `${root}/tree/linux-source-6.1/drivers/media/v4l2-core`;
    await Deno.mkdir(tree, { recursive: true });
    await Deno.copyFile(
      `${CACHE}/src6.1/drivers/media/v4l2-core/v4l2-mem2mem.c`,
      `${tree}/v4l2-mem2mem.c`,
    );
    await run("tar", [
      "-cJf",
      `${sources}/linux-source-6.1.tar.xz`,
      "-C",
      `${root}/tree`,
      "linux-source-6.1",
    ]);
    const dkms = await Deno.readTextFile(`${src}/dkms.conf`);
    const make = /^MAKE\[0\]="(.+)"$/m.exec(dkms)?.[1];
    assert.ok(make, "dkms.conf has no MAKE[0]");
    const line = make.replaceAll("${kernelver}", kver).replaceAll("${kernel_source_dir}", kdir)
      .replace("${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build", src);
    await run("sh", ["-c", `${line} CONFIG_DEBUG_INFO_BTF_MODULES=`], {
      cwd: src,
      env: { DAEDALUS_LINUX_SOURCE_DIR: sources },
    });
    for (const ko of ["daedalus_v4l2.ko", "v4l2-mem2mem.ko"]) await Deno.stat(`${src}/${ko}`);
    assert.match(
      await run("modinfo", ["-F", "depends", `${src}/daedalus_v4l2.ko`]),
      /v4l2-mem2mem/,
    );
  });
});

Deno.test("dist: the drop-in file runs the daemon with neither Deno nor the repository", async () => {
  const file = `${repo}${(await run("bash", [`${repo}dist/build-dropin.sh`, "amd64"])).trim()}`;
  const unit = await Deno.readTextFile(`${repo}dist/build/daedalusd-dropin.service`);
  assert.match(unit, /^ExecStart=\/usr\/local\/bin\/daedalusd run$/m);
  await withTemp(async (dir) => {
    await Deno.copyFile(file, `${dir}/daedalusd`);
    await Deno.chmod(`${dir}/daedalusd`, 0o755);
    // A bare environment: no Deno on PATH, run from elsewhere, its cache a fresh directory.
    const env = {
      PATH: "/usr/bin:/bin",
      HOME: dir,
      CACHE_DIRECTORY: `${dir}/cache`,
      NO_COLOR: "1",
    };
    const cmd = (args: string[]) =>
      new Deno.Command(`${dir}/daedalusd`, {
        args,
        env,
        clearEnv: true,
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      });
    const timed = async (args: string[]) => {
      const t0 = performance.now();
      const out = await cmd(args).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, text);
      return { text, ms: performance.now() - t0 };
    };
    const first = await timed(["probe"]);
    assert.match(first.text, /daemon decodes \(declared to the module\): h264 vp8 vp9 av1/);
    const later = await timed(["probe"]);
    const size = (await Deno.stat(file)).size;
    console.log(
      `drop-in: ${(size / 2 ** 20).toFixed(1)} MiB; probe ${
        first.ms.toFixed(0)
      } ms at the first start ` +
        `(unpacking), ${later.ms.toFixed(0)} ms later`,
    );
    // A damaged file is refused, not run.
    const bytes = await Deno.readFile(`${dir}/daedalusd`);
    bytes[bytes.length - 1000] ^= 0xff;
    await Deno.writeFile(`${dir}/daedalusd`, bytes);
    await Deno.remove(`${dir}/cache`, { recursive: true });
    const damaged = await cmd(["probe"]).output();
    assert.notEqual(damaged.code, 0);
  });
});
