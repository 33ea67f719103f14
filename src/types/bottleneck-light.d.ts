// bottleneck ships types for its main entry only; light.js has the same API
// without the Redis clustering, and is what the Octokit plugins use.
declare module "bottleneck/light.js" {
  import Bottleneck from "bottleneck";
  export default Bottleneck;
}
