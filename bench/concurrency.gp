# Links per second on one nginx worker against concurrency (bench/run.sh).
set terminal pngcairo size 800,500 font "sans,10"
set output out
set title "lua-sls in one nginx worker, SLS answering in 100 ms"
set xlabel "concurrent clients"
set ylabel "links per second"
set logscale xy
set key top left
set grid
set datafile missing "?"
plot data using 1:2 with lines dashtype 2 lc rgb "#888888" title "bound: clients / 0.1 s", \
     data using 1:3 with linespoints lw 2 lc rgb "#1f77b4" title "cosocket transport (default in nginx)", \
     data using 1:4 with linespoints lw 2 lc rgb "#d62728" title "libcurl transport (blocking)"
