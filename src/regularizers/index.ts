export {weightDecay} from './weight_decay';
