// webpack 5 defaults: new URL("….wasm", import.meta.url) in the package becomes an asset.
const path = require("node:path");

module.exports = (env) => ({
  mode: "production",
  context: __dirname,
  entry: "./app.js",
  output: { path: path.resolve(env.outDir), filename: "app.js", publicPath: "auto" },
  devtool: false,
});
