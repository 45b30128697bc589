// Minor digits per currency, as chalicelib/domain/money.py counts them (a unit test keeps the two equal).
const ZERO = "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF";
const THREE = "BHD JOD KWD OMR TND";
const EXPONENTS = {};
for (const c of ZERO.split(" ")) EXPONENTS[c] = 0;
for (const c of THREE.split(" ")) EXPONENTS[c] = 3;

export const exponent = (code) => EXPONENTS[code] ?? 2;
