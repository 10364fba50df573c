/** Types for @nlpjs/neural (the package ships none): the parts Tai Mắt uses. */
declare module "@nlpjs/neural" {
  export interface NeuralSettings {
    iterations?: number;
    errorThresh?: number;
    deltaErrorThresh?: number;
    learningRate?: number;
    momentum?: number;
    alpha?: number;
    log?: boolean;
  }
  export interface NeuralJSON {
    settings: NeuralSettings;
    features?: string[];
    intents?: string[];
    perceptrons?: number[][];
  }
  export class NeuralNetwork {
    constructor(settings?: NeuralSettings);
    train(corpus: Array<{ input: Record<string, number>; output: Record<string, number> }>): { error: number; iterations: number };
    run(input: Record<string, number>): Record<string, number> | undefined;
    toJSON(): NeuralJSON;
    fromJSON(json: NeuralJSON): void;
  }
  const neural: { NeuralNetwork: typeof NeuralNetwork };
  export default neural;
}
