// Preloaded (.taprc) before tsx registers: tsx applies a tsconfig only to the files it includes, and the
// root tsconfig.json (the build's) leaves test/ out, so the tests would run without "use strict".
// tsconfig.check.json extends it and includes test/.
process.env.TSX_TSCONFIG_PATH ??= require('node:path').join(__dirname, '..', '..', 'tsconfig.check.json')
