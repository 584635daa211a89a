// The Debian package builds, holds what the design card says, its daemon runs from the shipped
// runtime, and its DKMS recipe builds the module. Built for amd64 here so that the packaged
// daemon can run on this machine; arm64 differs only in the runtime taken from npm.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { CACHE, prepare, run } from "./vm/harness.ts";

const repo = fileURLToPath(new URL("../", import.meta.url));

Deno.test("dist: the package builds, installs its parts, and its daemon and DKMS recipe work", async () => {
  const deb = (await run("bash", [`${repo}dist/build-deb.sh`, "amd64"])).trim();
  const control = await run("dpkg-deb", ["-f", `${repo}${deb}`]);
  assert.match(control, /^Package: daedalus-v4l2$/m);
  assert.match(control, /^Depends: .*dkms.*libavcodec59 \| libavcodec60 \| libavcodec61/m);
  const version = /^Version: (.+)$/m.exec(control)?.[1];
  assert.ok(version, "no Version in control");

  const root = await Deno.makeTempDir({ prefix: "daedalus-deb-" });
  try {
    await run("dpkg-deb", ["-x", `${repo}${deb}`, root]);
    for (
      const path of [
        "usr/local/bin/daedalusd",
        "lib/systemd/system/daedalus-v4l2.service",
        "etc/modules-load.d/daedalus-v4l2.conf",
        "lib/udev/rules.d/60-daedalus-v4l2.rules",
        `usr/src/daedalus-v4l2-${version}/dkms.conf`,
        `usr/src/daedalus-v4l2-${version}/uapi/daedalus_v4l2.h`,
      ]
    ) await Deno.stat(`${root}/${path}`);
    const unit = await Deno.readTextFile(`${root}/lib/systemd/system/daedalus-v4l2.service`);
    assert.match(unit, /^ExecStart=\/usr\/local\/bin\/daedalusd run$/m);
    // The maintainer scripts, as packaged (versions substituted), parse.
    await run("dpkg-deb", ["-e", `${repo}${deb}`, `${root}/DEBIAN`]);
    for (const s of ["postinst", "prerm", "postrm"]) {
      const script = await Deno.readTextFile(`${root}/DEBIAN/${s}`);
      assert.doesNotMatch(script, /@VERSION@/);
      await run("sh", ["-n", `${root}/DEBIAN/${s}`]);
    }

    // The daemon, as the wrapper runs it, from the runtime and bundle in the package.
    const lib = `${root}/usr/lib/daedalus-v4l2`;
    const help = await run(`${lib}/deno`, [
      "run",
      "-A",
      "--no-config",
      `${lib}/daedalusd.js`,
      "--help",
    ]);
    for (const cmd of ["run", "status", "probe", "decode"]) {
      assert.match(help, new RegExp(`\\b${cmd}\\b`));
    }
    const wrapper = await Deno.readTextFile(`${root}/usr/local/bin/daedalusd`);
    assert.match(
      wrapper,
      /exec \/usr\/lib\/daedalus-v4l2\/deno run .*\/usr\/lib\/daedalus-v4l2\/daedalusd\.js "\$@"/,
    );

    // DKMS's MAKE line, as dkms runs it, against a Debian kernel's headers.
    await prepare("6.1");
    const src = `${root}/usr/src/daedalus-v4l2-${version}`;
    const dkms = await Deno.readTextFile(`${src}/dkms.conf`);
    const make = /^MAKE\[0\]="(.+)"$/m.exec(dkms)?.[1];
    assert.ok(make, "dkms.conf has no MAKE[0]");
    const kdir = (await Deno.readTextFile(`${CACHE}/k6.1/KDIR`)).trim();
    const line = make.replace("${kernel_source_dir}", kdir).replace(
      "${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build",
      src,
    );
    await run("sh", [
      "-c",
      `${line} CONFIG_DEBUG_INFO_BTF_MODULES= KBUILD_EXTRA_SYMBOLS=${CACHE}/build/media-6.1/Module.symvers`,
    ]);
    await Deno.stat(`${src}/daedalus_v4l2.ko`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
